"""Rendering a message: every link of the message goes through a signed click URL whose index
names the original, e-mails get the open pixel, SMS links are tracked too."""

from __future__ import annotations

import html

import pytest

from messaging.links import token_load
from messaging.models import Template
from messaging.rendering import (
    context_for,
    default_templates_install,
    render_message,
    template_version_current,
    template_version_save,
)
from messaging.tests.factories import make_message, make_order, make_shipment
from tenants.context import tenant_scope

pytestmark = pytest.mark.django_db

BODY = """<mj-section><mj-column>
  <mj-text>Hi {{ customer.first_name }}! <a href="https://shop.example.com/help?a=1&amp;b=2">Help</a>
  <a href="mailto:help@example.com">Mail us</a></mj-text>
  <mj-button href="{{ tracking_url }}">Track</mj-button>
</mj-column></mj-section>"""


@pytest.fixture
def setup(personas):
    tenant = personas.tenant_a
    with tenant_scope(tenant):
        template = Template.objects.create(key="custom-shipped-email", name="Custom shipped", channel="email")
        version = template_version_save(tenant, template, locale="en", subject="Order {{ order.number }}",
                                        preheader="Coming", body=BODY)
    shipment = make_shipment(tenant, make_order(tenant))
    message = make_message(tenant, shipment=shipment, milestone="shipped")
    with tenant_scope(tenant):
        context = context_for(tenant, milestone="shipped", shipment=shipment, message=message)
    return tenant, version, shipment, message, context


def hrefs(markup: str) -> list[str]:
    import re

    return [html.unescape(url) for url in re.findall(r'href="([^"]+)"', markup)]


def test_every_http_link_becomes_a_click_url_naming_its_index(setup, settings):
    tenant, version, shipment, message, context = setup
    rendered = render_message(version, context, message=message)
    tracking = f"{settings.PUBLIC_BASE_URL}/t/{shipment.public_token}/?src=email"
    assert rendered.links == ["https://shop.example.com/help?a=1&b=2", tracking]
    clicks = [url for url in hrefs(rendered.html) if "/m/c/" in url]
    assert len(clicks) >= 2
    for url in clicks:
        token = url.split("/m/c/")[1].rstrip("/")
        tenant_id, message_id, index = token_load("click", token)
        assert (tenant_id, message_id) == (tenant.pk, message.pk)
        assert rendered.links[index] in rendered.links
    assert "https://shop.example.com/help" not in rendered.html
    assert message.links == rendered.links


def test_mailto_and_the_shoppers_own_preference_links_are_left_alone(setup):
    _, version, _, message, context = setup
    rendered = render_message(version, context, message=message)
    assert "mailto:help@example.com" in hrefs(rendered.html)
    assert context["preferences_url"] in hrefs(rendered.html)
    assert context["preferences_url"] not in rendered.links


def test_an_email_gets_the_open_pixel_before_the_end_of_its_body(setup):
    _, version, _, message, context = setup
    rendered = render_message(version, context, message=message)
    pixel = rendered.html.rindex('width="1" height="1" alt=""')
    assert "/m/o/" in rendered.html[pixel - 200:pixel]
    assert pixel < rendered.html.rindex("</body>")


def test_without_a_message_nothing_is_rewritten_and_there_is_no_pixel(setup):
    _, version, _, _, context = setup
    rendered = render_message(version, context)
    assert "/m/c/" not in rendered.html and "/m/o/" not in rendered.html
    assert "https://shop.example.com/help?a=1&amp;b=2" in rendered.html


def test_the_plain_text_part_is_generated_with_tracked_links(setup):
    _, version, _, message, context = setup
    rendered = render_message(version, context, message=message)
    assert rendered.subject == f"Order {context['order']['number']}"
    assert rendered.preheader == "Coming"
    assert "Hi Sam!" in rendered.text
    assert "Help (" in rendered.text and "/m/c/" in rendered.text
    assert "<" not in rendered.text.replace("<br", "")
    assert "shop.example.com" not in rendered.text


def test_an_authored_plain_text_part_is_used_as_written(setup, personas):
    tenant, version, shipment, message, context = setup
    with tenant_scope(tenant):
        authored = template_version_save(tenant, version.template, locale="en", subject="S",
                                         preheader="", body=BODY,
                                         text_body="Hello {{ customer.first_name }} & co: "
                                                   "{{ tracking_url }}.")
    rendered = render_message(authored, context, message=message)
    assert rendered.text.startswith("Hello Sam & co: ")
    assert rendered.text.endswith("/.") and "/m/c/" in rendered.text


def test_the_sms_tracking_link_goes_through_a_click_url(personas, settings):
    tenant = personas.tenant_a
    with tenant_scope(tenant):
        installed = default_templates_install(tenant)
    with tenant_scope(installed["out_for_delivery-sms"].tenant):
        version = template_version_current(installed["out_for_delivery-sms"], "en")
    shipment = make_shipment(tenant, make_order(tenant))
    message = make_message(tenant, shipment=shipment, milestone="out_for_delivery", channel="sms")
    with tenant_scope(tenant):
        context = context_for(tenant, milestone="out_for_delivery", shipment=shipment, message=message)
    rendered = render_message(version, context, message=message)
    assert rendered.links == [f"{settings.PUBLIC_BASE_URL}/t/{shipment.public_token}/?src=sms"]
    assert f"{settings.PUBLIC_BASE_URL}/m/c/" in rendered.text
    assert rendered.html == "" and rendered.subject == ""
    assert rendered.segments.encoding == "GSM-7"
    assert rendered.segments.segments <= 2


@pytest.mark.parametrize("locale", ["en", "de", "fr", "es"])
def test_every_default_email_renders_with_real_data(personas, locale):
    tenant = personas.tenant_a
    with tenant_scope(tenant):
        installed = default_templates_install(tenant)
    shipment = make_shipment(tenant, make_order(tenant), delayed=True)
    for key, template in installed.items():
        if template.channel != "email":
            continue
        milestone = key.removesuffix("-email")
        message = make_message(tenant, shipment=shipment, milestone=milestone, locale=locale)
        with tenant_scope(tenant):
            context = context_for(tenant, milestone=milestone, shipment=shipment, message=message)
        with tenant_scope(template.tenant):
            rendered = render_message(template_version_current(template, locale), context,
                                      message=message)
        assert shipment.order.number in rendered.subject + rendered.html, (key, locale)
        assert "{{" not in rendered.html and "{%" not in rendered.html, (key, locale)
        assert "Sam" in rendered.text or milestone == "review_request" or "Sam" in rendered.html


def test_jinja_globals_work_in_every_part_of_an_email(personas):
    """Renders share one scope that starts from the environment's globals (range, namespace…)."""
    tenant = personas.tenant_a
    with tenant_scope(tenant):
        template = Template.objects.create(key="globals-email", name="Globals", channel="email")
        version = template_version_save(
            tenant, template, locale="en", subject="{% for i in range(2) %}{{ i }}{% endfor %}",
            preheader="{{ range(3)|list|length }}",
            body="<mj-section><mj-column><mj-text>{% for i in range(3) %}[{{ i }}]{% endfor %}"
                 "</mj-text></mj-column></mj-section>",
            text_body="{% set ns = namespace(n=4) %}n={{ ns.n }} {{ customer.first_name }}")
    rendered = render_message(version, {"customer": {"first_name": "Sam"}})
    assert (rendered.subject, rendered.preheader) == ("01", "3")
    assert "[0][1][2]" in rendered.html
    assert rendered.text == "n=4 Sam"


def test_the_plain_text_part_is_tidied_whatever_the_template_leaves():
    from messaging.rendering.plaintext import tidy_text

    messy = "  Hi  Sam,\t \n\n\n\n  your parcel \u00a0is here. \n \n\n\nTrack it \r\n\n"
    assert tidy_text(messy) == "Hi Sam,\n\nyour parcel is here.\n\nTrack it"
    assert tidy_text("one line  only ") == "one line only"


@pytest.mark.parametrize("locale", ["en", "de", "fr", "es"])
def test_a_default_email_is_one_byte_a_character_and_reads_as_written(personas, locale):
    """html_template writes literal text beyond Latin-1 as character references: the same
    HTML to a reader, a one-byte string to us (what the rest of the dispatch pays for)."""
    from messaging.rendering.environment import send_env
    from messaging.rendering.render import html_template

    tenant = personas.tenant_a
    with tenant_scope(tenant):
        default_templates_install(tenant)
        version = template_version_current(Template.objects.get(key="shipped-email"), locale)
        context = context_for(tenant, milestone="shipped",
                              shipment=make_shipment(tenant, make_order(tenant)))
    literal = send_env.from_string(version.compiled_html).render(context)
    rendered = html_template(version.compiled_html).render(context)
    assert max(rendered) <= "\xff" < max(literal)  # the copy has ’ or the footer a hair space
    assert html.unescape(rendered) == html.unescape(literal)


def test_only_output_text_outside_style_and_script_is_rewritten():
    from messaging.rendering.render import html_template

    source = ("<style>.q::before{content:'’'}</style><p title=\"It’s\">It’s {{ name }}</p>"
              "{% set label %}’{% endset %}<i>{{ label|length }}</i>{% filter upper %}ß’{% endfilter %}"
              "<script>var q = '’';</script><b>‘done’</b>")
    assert html_template(source).render(name="Zoë ’") == (
        "<style>.q::before{content:'’'}</style><p title=\"It&#8217;s\">It&#8217;s Zoë ’</p>"
        "<i>1</i>SS’<script>var q = '’';</script><b>&#8216;done&#8217;</b>")


def test_the_html_template_escapes_what_it_outputs():
    from markupsafe import Markup

    from messaging.rendering.render import html_template

    template = html_template("<p title=\"{{ t }}\">{{ t }} {{ m }}</p>")
    rendered = template.render(t="<b>&\"x'", m=Markup("<i>ok</i>"))
    assert rendered == ("<p title=\"&lt;b&gt;&amp;&#34;x&#39;\">&lt;b&gt;&amp;&#34;x&#39; "
                        "<i>ok</i></p>")


def test_tidy_text_follows_its_rule_on_any_text():
    """One space between words, no spaces at line ends, at most one blank line in a row, and
    no blank lines or spaces at either end: whichever path tidy_text takes."""
    import random
    import re

    from messaging.rendering.plaintext import tidy_text

    def rule(text: str) -> str:
        text = re.sub(r"[ \t\u00a0\r]+", " ", text)
        lines = [line.strip(" ") for line in text.split("\n")]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()

    pick = random.Random(8058)
    for _ in range(3000):
        text = "".join(pick.choice(["a", "b ", " ", "\n", "\n\n\n", "\t", "\u00a0", "\r", "c"])
                       for _ in range(pick.randint(0, 30)))
        assert tidy_text(text) == rule(text), repr(text)


BRANDS = [
    {"name": "Alpha Outfitters", "primary_color": "#1F6FEB", "font_stack": "Georgia, serif"},
    {"name": "Tom & Jerry's <Shop> \"Quoted\"", "primary_color": "#fff",
     "font_stack": "'Trebuchet MS', sans-serif"},
    {"name": "Café Zoë ’ ✓", "primary_color": "", "font_stack": ""},
]


@pytest.mark.parametrize("locale", ["en", "de", "fr", "es"])
@pytest.mark.parametrize("brand_values", BRANDS, ids=["plain", "markup", "unicode"])
def test_a_brands_values_written_in_render_the_same_email(personas, locale, brand_values):
    """The HTML compiled with the brand's values as constants (what a batch renders with) is
    byte for byte the HTML the template renders with the brand read per message."""
    from messaging.rendering.render import html_template

    tenant = personas.tenant_a
    with tenant_scope(tenant):
        default_templates_install(tenant)
    shipment = make_shipment(tenant, make_order(tenant))
    with tenant_scope(tenant):
        templates = [t for t in Template.objects.filter(channel="email")]
    for template in templates:
        with tenant_scope(template.tenant):
            version = template_version_current(template, locale)
        with tenant_scope(tenant):
            context = context_for(tenant, milestone=template.key.removesuffix("-email"),
                                  shipment=shipment)
        context["brand"] = {**context["brand"], **brand_values}
        generic = html_template(version.compiled_html).render(context)
        branded = html_template(version.compiled_html, brand=context["brand"])
        assert branded.render(context) == generic, (template.key, locale)
        # The brand is read from the context no more: other values render the constants.
        elsewhere = {**context, "brand": {**context["brand"], "name": "Someone Else"}}
        assert "Someone Else" not in branded.render(elsewhere)


def test_a_template_that_assigns_brand_keeps_reading_it():
    from messaging.rendering.render import html_template

    source = ("<p>{{ brand.name }}</p>{% set brand = {'name': 'Local'} %}<p>{{ brand.name }}</p>"
              "{% for brand in shops %}<i>{{ brand['name'] }}</i>{% endfor %}")
    scope = {"brand": {"name": "Alpha"}, "shops": [{"name": "B1"}]}
    template = html_template(source, brand=scope["brand"])
    assert template.render(scope) == "<p>Alpha</p><p>Local</p><i>B1</i>"
    assert template.render({**scope, "brand": {"name": "Beta"}}).startswith("<p>Beta</p>")


def test_a_batch_renders_with_its_brands_constants_and_a_changed_brand_recompiles(personas):
    from messaging.rendering.render import prepared

    tenant = personas.tenant_a
    with tenant_scope(tenant):
        installed = default_templates_install(tenant)
    with tenant_scope(installed["shipped-email"].tenant):
        version = template_version_current(installed["shipped-email"], "en")
    shipment = make_shipment(tenant, make_order(tenant))
    with tenant_scope(tenant):
        context = context_for(tenant, milestone="shipped", shipment=shipment)
    parts = prepared(version)

    first = render_message(version, context).html
    assert parts.html_for(context["brand"]) is parts.html_for(dict(context["brand"]))  # reused
    renamed = {**context, "brand": {**context["brand"], "name": "Renamed Store"}}
    second = render_message(version, renamed).html
    assert "Renamed Store" in second and "Renamed Store" not in first
    assert render_message(version, context).html == first
