"""The dashboard as a retailer first meets it, on a phone (390 px) and a laptop (1280 px):
every list fits the screen with no column cut off or hidden, shows the newest first and says
so in its pager; the add-rule form offers templates of the chosen channel; the brand form
has no empty column and shows a white logo; the template guide is a page of the dashboard.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image

from messaging.tests.dashboard_support import make_message
from messaging.tests.factories import make_customer, make_order, make_shipment
from tenants.tests.factories import DEFAULT_PASSWORD

from .conftest import DESKTOP, log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}
VIEWPORTS = [pytest.param(PHONE, id="phone"), pytest.param(DESKTOP, id="desktop")]
LISTS = ["/orders/", "/messages/", "/shipments/", "/journeys/"]
ROWS = 55  # a page and a bit

# Cells of list tables that are hidden, or reach past the right edge of the screen (an empty
# cell may fold away on a phone).
CELLS_OUT_OF_SIGHT = """() => [...document.querySelectorAll('main table tbody td')]
  .filter(td => td.textContent.trim() !== '')
  .filter(td => { const box = td.getBoundingClientRect();
                  return box.width === 0 || box.right > window.innerWidth + 0.5; })
  .map(td => td.closest('table').id + ': ' + td.textContent.trim().slice(0, 30))"""
# Search boxes whose hint is wider than the room inside them.
CUT_PLACEHOLDERS = """() => [...document.querySelectorAll('main input[placeholder]')].filter(input => {
  const style = getComputedStyle(input), ctx = document.createElement('canvas').getContext('2d');
  ctx.font = style.font;
  const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return ctx.measureText(input.placeholder).width > room; }).map(input => input.placeholder)"""


@pytest.fixture
def alpha_history(personas):
    """Alice's store (with its default journey and templates) and ROWS orders, each with a
    shipment and a message. Orders are made newest first, so a list that sorted them by when
    rows were made would show them oldest first; shipments and messages are made oldest
    first, as they arrive."""
    tenant = personas.tenant_a
    now = timezone.now()
    orders = [make_order(tenant, lines=1, number=f"#{5000 + n}",
                         customer=make_customer(tenant, email=f"a.rather.long.address.{n}@example-shop.test"),
                         placed_at=now - timedelta(hours=ROWS - n))
              for n in reversed(range(ROWS))]
    for order in reversed(orders):
        make_shipment(tenant, order, tracking_number=f"TRK{order.number[1:]}")
        make_message(tenant, recipient=order.customer.email, order=order)
    return personas


def alice_on(new_page, viewport: dict):
    page = new_page(viewport)
    log_in(page, "alice@alpha.test", DEFAULT_PASSWORD)
    return page


def _assert_fits(page, name: str) -> None:
    width = page.evaluate("window.innerWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width, name
    assert page.evaluate(CELLS_OUT_OF_SIGHT) == [], name
    assert page.evaluate(CUT_PLACEHOLDERS) == [], name


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_every_list_fits_the_screen_with_every_column(new_page, alpha_history, viewport):
    page = alice_on(new_page, viewport)
    for url in LISTS:
        page.goto(url)
        _assert_fits(page, url)
        # Every column of the first row is on screen, with its value.
        first = page.locator("main table tbody tr").first
        assert first.locator("td").count() == first.locator("td:visible").count() >= 5, url
        screenshot(page, f"list{url.replace('/', '-')}{viewport['width']}")


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_lists_show_the_newest_first_and_say_so(new_page, alpha_history, viewport):
    page = alice_on(new_page, viewport)
    newest, oldest = f"#{5000 + ROWS - 1}", "#5000"
    for url, first_text in (("/orders/", newest), ("/shipments/", f"TRK{newest[1:]}"),
                            ("/messages/", newest)):
        page.goto(url)
        assert first_text in page.locator("main table tbody tr").first.inner_text(), url
        pager = page.locator(".pager")
        assert pager.locator(".pager-label").inner_text() == f"Newest first · 1–50 of {ROWS}"
        assert pager.get_by_role("link").all_inner_texts() == ["Older →"]
        pager.get_by_role("link", name="Older →").click()
        page.wait_for_url("**page=2")
        assert oldest[1:] in page.locator("main table tbody tr").last.inner_text(), url
        assert pager.locator(".pager-label").inner_text() == f"Newest first · 51–{ROWS} of {ROWS}"
        assert pager.get_by_role("link").all_inner_texts() == ["← Newer"]
        _assert_fits(page, url)
    screenshot(page, f"list-messages-page-2-{viewport['width']}")


def test_a_search_counts_only_what_it_found(page, alpha_history):
    log_in(page, "alice@alpha.test", DEFAULT_PASSWORD)
    page.goto("/orders/?q=%235003")
    assert page.locator("main table tbody tr").count() == 1
    assert page.locator(".pager-label").inner_text() == "Newest first · 1–1 of 1"


def _template_shown(page) -> tuple[str, str]:
    return tuple(page.eval_on_selector(
        "#id_template", "s => [s.options[s.selectedIndex].text, s.options[s.selectedIndex].dataset.channel]"))


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_add_rule_form_offers_templates_of_the_chosen_channel(new_page, personas, viewport):
    page = alice_on(new_page, viewport)
    page.goto("/journeys/")
    page.get_by_role("link", name="Add rule").first.click()
    page.wait_for_selector("#id_template")
    # A new rule starts as an e-mail for the first trigger, on the template made for both.
    assert page.input_value("#id_channel") == "email"
    assert _template_shown(page) == ("Order confirmed (e-mail)", "email")
    labels = page.eval_on_selector_all("#id_template option", "os => os.map(o => o.text)")
    assert not [label for label in labels if len(re.findall(r"\(", label)) > 1], labels

    page.select_option("#id_channel", "sms")
    assert _template_shown(page)[1] == "sms"
    offered = page.eval_on_selector_all(
        "#id_template option:not([hidden])", "os => os.map(o => o.dataset.channel)")
    assert set(offered) == {"sms"}
    page.select_option("#id_trigger", "delivered")
    assert _template_shown(page) == ("Delivered (SMS)", "sms")

    # Quiet hours: labelled inputs wide and tall enough to read a time in.
    for label in ("Quiet from", "Quiet until"):
        box = page.get_by_label(label).bounding_box()
        assert box["width"] >= 150 and box["height"] >= 36, (label, box)
    _assert_fits(page, "rule form")
    screenshot(page, f"rule-form-{viewport['width']}")

    page.fill("#id_name", "Delivered by text")
    page.fill("#id_quiet_hours_start", "21:30")
    page.fill("#id_quiet_hours_end", "07:30")
    page.get_by_role("button", name="Add rule").click()
    page.wait_for_selector(".alert-success")
    row = page.locator("tr", has_text="Delivered by text")
    assert "Delivered (SMS)" in row.inner_text() and "21:30–07:30" in row.inner_text()


def _white_logo() -> bytes:
    """A white wordmark on a transparent background, as many stores have for dark headers."""
    image = Image.new("RGBA", (240, 80), (0, 0, 0, 0))
    image.paste((255, 255, 255, 255), (40, 20, 200, 60))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


# Rows of the brand form's grids that leave a column empty beside their last field.
EMPTY_COLUMNS = """() => [...document.querySelectorAll('#brand-form .form-grid')].flatMap(grid => {
  const right = grid.getBoundingClientRect().right, rows = {};
  for (const item of grid.children) {
    if (item.tagName === 'LEGEND' || !item.getClientRects().length) continue;
    const box = item.getBoundingClientRect(), top = Math.round(box.top);
    rows[top] = Math.max(rows[top] || 0, box.right);
  }
  return Object.values(rows).filter(r => right - r > 40).map(r => grid.textContent.trim().slice(0, 40));
})"""


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_brand_form_has_no_empty_column_and_shows_a_white_logo(new_page, personas, viewport):
    page = alice_on(new_page, viewport)
    page.goto("/settings/brand/")
    assert page.evaluate(EMPTY_COLUMNS) == []
    page.set_input_files("#id_logo", files=[
        {"name": "logo-white.png", "mimeType": "image/png", "buffer": _white_logo()}])
    page.click("text=Save brand")
    page.wait_for_selector(".alert-success")
    _assert_fits(page, "brand")

    logo = page.locator(".logo-current img")
    assert logo.evaluate("img => img.complete && img.naturalWidth") == 240
    assert logo.evaluate("img => getComputedStyle(img).backgroundImage") != "none"
    # Around the white mark, the backdrop shows clearly darker than white: the logo's edges
    # can be seen (on white, or the pale grey of the box, it would vanish).
    picture = Image.open(io.BytesIO(logo.screenshot())).convert("RGB")
    pixels = list(picture.get_flattened_data())
    assert any(sum(p) / 3 < 220 for p in pixels), "no backdrop darker than white"
    assert sum(1 for p in pixels if min(p) >= 254) > len(pixels) / 5, "the white mark is missing"
    screenshot(page, f"brand-white-logo-{viewport['width']}")


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_template_guide_opens_from_the_editor_as_a_page(new_page, personas, viewport):
    page = alice_on(new_page, viewport)
    page.goto("/journeys/templates/")
    page.get_by_role("link", name="Shipped (e-mail)").first.click()
    with page.context.expect_page() as opened:
        page.get_by_role("link", name="template guide").click()
    guide = opened.value
    guide.wait_for_load_state()
    assert guide.url.endswith("/journeys/templates/guide/")
    assert guide.locator("h1").inner_text() == "Message templates: the reference for retailers"
    assert guide.get_by_role("heading", name="Variables").is_visible()
    cell = guide.locator("td", has=guide.locator("code", has_text="order.number")).first
    assert cell.is_visible()
    text = guide.locator("main").inner_text()
    assert "| variable |" not in text and "```" not in text and "**" not in text
    guide.get_by_role("link", name="SMS segments").click()
    assert guide.evaluate("location.hash") == "#sms-segments"
    _assert_fits(guide, "guide")
    screenshot(guide, f"template-guide-{viewport['width']}")
