"""A marketer edits a template in a real browser: the live preview follows the typing, a
broken template shows its error and line, and an old version comes back by restoring it."""

from __future__ import annotations

import pytest

from messaging.models import Template
from messaging.rendering import template_version_save
from tenants.context import tenant_scope
from tenants.tests.factories import DEFAULT_PASSWORD

from .conftest import ARTIFACTS, log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BODY = """<mj-section>
  <mj-column>
    <mj-text>Hello {{ customer.first_name }}, order {{ order.number }} is on its way.</mj-text>
  </mj-column>
</mj-section>"""


@pytest.fixture
def template(personas):
    tenant = personas.tenant_a
    with tenant_scope(tenant):
        template = Template.objects.create(key="browser-shipped-email", name="Browser shipped",
                                           channel="email")
    with tenant_scope(tenant):
        for greeting in ("Hello", "Good news"):
            template_version_save(tenant, template, locale="en", subject="Order {{ order.number }}",
                                  preheader="", body=BODY.replace("Hello", greeting))
    return template


def preview_text(page) -> str:
    return page.frame_locator("#preview-desktop .frame-desktop").locator("body").inner_text()


def preview_shows(page, text: str) -> None:
    """Waits until the desktop preview's frame (a new one per render) shows `text`."""
    page.frame_locator("#preview-desktop .frame-desktop").locator(
        f"body:has-text('{text}')").wait_for()


def test_edit_preview_break_and_restore_a_template(page, personas, template):
    log_in(page, "alice@alpha.test", DEFAULT_PASSWORD)
    page.goto(f"/journeys/templates/{template.pk}/?locale=en")
    page.wait_for_selector("#preview-desktop .frame-desktop")
    assert "Good news Sam, order #1001" in preview_text(page)
    assert page.locator("#preview .frame-phone").bounding_box()["width"] < 400
    assert page.locator("#preview-desktop .frame-desktop").bounding_box()["width"] > 600

    # Typing re-renders the preview.
    page.fill("#id_body", BODY.replace("Hello", "Ahoy"))
    preview_shows(page, "Ahoy")
    assert "Ahoy Sam, order #1001" in preview_text(page)
    screenshot(page, "template-editor-preview")
    # Full-page shots leave iframes below the first screen unpainted; shoot the card itself.
    page.locator(".desktop-card").screenshot(path=str(ARTIFACTS / "template-editor-desktop.png"))

    # A broken template shows its error and line; Save refuses it with the same words.
    page.fill("#id_body", BODY.replace("{{ order.number }}", "{{ order.number }"))
    page.wait_for_selector("#preview .template-error")
    assert "line 3" in page.inner_text("#preview .template-error")
    screenshot(page, "template-editor-error")
    page.click("#save-template")
    page.wait_for_selector("#field-body .errorlist")
    assert "line 3" in page.inner_text("#field-body .errorlist")

    # Restore version 1: it comes back as version 3 and is what the editor shows.
    page.goto(f"/journeys/templates/{template.pk}/?locale=en")
    page.evaluate("window.confirm = () => true")  # the "Restore version 1?" question: yes
    page.click("#version-1 button:has-text('Restore')")
    page.wait_for_selector("text=Version 1 restored as version 3")
    assert "Restored from v1" in page.inner_text("#version-3")
    assert "Hello {{ customer.first_name }}" in page.input_value("#id_body")
    preview_shows(page, "Hello Sam")
    screenshot(page, "template-editor-restored")


def test_journeys_and_a_failed_message_read_well(page, personas, template):
    from messaging.models import Message
    from messaging.tests.dashboard_support import make_journey, make_message

    make_journey(personas.tenant_a, name="Default journey", template=template)
    failed = make_message(personas.tenant_a, status=Message.Status.UNCERTAIN,
                          reason="sendgrid: no answer after acceptance", events=2)
    log_in(page, "alice@alpha.test", DEFAULT_PASSWORD)
    page.goto("/journeys/")
    page.wait_for_selector(".rules-table")
    screenshot(page, "journeys")
    page.goto(f"/messages/{failed.pk}/")
    page.click("#resend-form button[type=submit]")  # unconfirmed: refused, in words
    page.wait_for_selector(".alert-error")
    assert "may have delivered" in page.inner_text("#flash")
    page.check("#id_confirmed_not_received")
    page.click("#resend-form button[type=submit]")
    page.wait_for_selector("text=Scheduled to send again")
    screenshot(page, "message-detail-resent")
