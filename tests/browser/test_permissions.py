"""A support agent meets plain words, not a crash or a blank page, where their role stops."""

import pytest

from tenants.tests.factories import DEFAULT_PASSWORD

from .conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_agent_is_kept_out_of_team_keys_and_integrations(page, personas):
    log_in(page, "bob@alpha.test", DEFAULT_PASSWORD)
    page.goto("/settings/")
    subnav = page.locator("nav[aria-label=Settings]")
    assert subnav.locator("a").all_inner_texts() == ["General", "Brand", "Tracking", "Tracking page",
                                                     "Returns"]
    assert page.locator("#id_name").is_disabled()
    screenshot(page, "settings-general-read-only")

    for path in ("/settings/api-keys/", "/settings/integrations/", "/settings/members/"):
        response = page.goto(path)
        assert response.status == 403
        assert "You don't have access to this page" in page.inner_text("h1")
        assert "Your role is agent" in page.inner_text("main")
    screenshot(page, "forbidden")

    # An agent handles returns: the queue is theirs to work through.
    page.goto("/returns/")
    assert page.inner_text("h1") == "Returns"
    screenshot(page, "returns-queue-agent")
