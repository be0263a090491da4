"""Shopper pages pass axe-core (WCAG 2.1 A and AA rules) on a phone (390 px) and a desktop:
the preferences page in English and German, and the shopper's 404. axe-core is vendored
(tests/browser/vendor/axe.min.js) and injected into the page; no request leaves the machine."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from messaging.links import preferences_url
from messaging.tests.callbacks_support import make_customer, make_message
from tenants.context import tenant_scope
from tenants.services import brand_update

from .conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()
VIEWPORTS = [({"width": 390, "height": 844}, "phone"), ({"width": 1280, "height": 860}, "desktop")]


def axe_violations(page) -> list[str]:
    # Evaluated through the debugging protocol, not as a <script>: the page's policy refuses
    # inline scripts (a <script> added to the page would be refused and reported).
    page.evaluate(AXE)
    found = page.evaluate("""async () => {
        const result = await axe.run(document, {runOnly: {type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
        return result.violations.map(v => v.id + ': ' + v.help + ' (' +
            v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' ' + n.failureSummary)
                .join(', ') + ')');
    }""")
    return found


@pytest.mark.parametrize(("viewport", "size"), VIEWPORTS)
@pytest.mark.parametrize(("locale", "colour"), [("en", "#1F6FEB"), ("de", "#F5D90A")])
def test_the_preferences_page_passes_axe(new_page, personas, viewport, size, locale, colour):
    """In the default blue and in a light yellow brand: its text must stay readable."""
    tenant = personas.tenant_a
    with tenant_scope(tenant):
        brand_update(tenant, primary_color=colour)
    message = make_message(tenant, customer=make_customer(tenant, locale=locale), locale=locale)
    page = new_page(viewport)
    page.goto(urlsplit(preferences_url(message)).path)
    page.wait_for_selector("h1")
    assert axe_violations(page) == []
    screenshot(page, f"a11y-preferences-{locale}-{size}")


@pytest.mark.parametrize(("viewport", "size"), VIEWPORTS)
def test_the_shopper_404_passes_axe(new_page, viewport, size):
    page = new_page(viewport)
    response = page.goto("/t/no-such-parcel/")
    assert response.status == 404
    assert axe_violations(page) == []


def test_axe_finds_what_it_should(new_page):
    """The check itself works: a page with an unlabelled input and an image without alt text
    is reported."""
    page = new_page()
    page.goto("/t/no-such-parcel/")
    page.evaluate("""() => {
        document.body.insertAdjacentHTML('beforeend',
            '<input type="text"><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">');
    }""")
    found = " ".join(axe_violations(page))
    assert "label" in found and "image-alt" in found
