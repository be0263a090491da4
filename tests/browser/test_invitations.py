"""An owner invites a colleague; the colleague opens the link in their own browser, creates
an account and lands in that store, and only that store."""

import pytest

from tenants.tests.factories import DEFAULT_PASSWORD

from .conftest import link_in_last_mail, log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_invited_colleague_signs_up_and_lands_in_the_store(new_page, personas):
    alice = new_page()
    log_in(alice, "alice@alpha.test", DEFAULT_PASSWORD)
    alice.goto("/settings/members/")
    alice.fill("#id_email", "dave@alpha.test")
    alice.select_option("#id_role", "marketer")
    alice.click("text=Send invitation")
    alice.wait_for_selector("text=Invitation sent to dave@alpha.test")
    assert alice.locator("#invitations").get_by_text("dave@alpha.test").is_visible()
    screenshot(alice, "members")
    link = link_in_last_mail("/invitations/")

    dave = new_page()  # a different person, a different browser
    dave.goto(link)
    assert "Join Alpha Outfitters" in dave.inner_text("h1")
    screenshot(dave, "invitation")
    dave.get_by_role("link", name="Create your account").click()
    screenshot(dave, "invitation-signup")
    assert dave.input_value("#id_email") == "dave@alpha.test"
    assert dave.locator("#id_store_name").count() == 0
    dave.fill("#id_password1", DEFAULT_PASSWORD)
    dave.fill("#id_password2", DEFAULT_PASSWORD)
    dave.click("button[type=submit]")

    dave.wait_for_selector("h1:has-text('Alpha Outfitters')")
    dave.click("#tenant-switcher summary")
    stores = dave.locator("#tenant-switcher [data-store-name]")
    assert stores.all_inner_texts() == ["Alpha Outfitters"]
    assert dave.locator("#tenant-switcher .meta").inner_text() == "Marketer"
