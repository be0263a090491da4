"""A shopper who speaks German reads German: the default journey's words, and the catalog's
product titles and help links where the catalog has them in German."""

from __future__ import annotations

import html

import pytest

from messaging.rendering import context_for, default_templates_install, render_message
from messaging.rendering.defaults import copy
from messaging.rendering.locales import LAYOUT_WORDS
from messaging.rendering.versions import template_version_current
from messaging.tests.factories import make_customer, make_message, make_order, make_product, make_shipment
from orders.models import Product
from tenants.context import tenant_scope

from .language_support import phrases

pytestmark = pytest.mark.django_db

HOW_TO_URL = "https://shop.example.com/how-to/tent"
GERMAN = {
    "Trail 2 Tent": {"title": "Trail 2 Trekkingzelt", "content_links": [
        {"kind": "video", "title": "In fünf Minuten aufgebaut", "url": HOW_TO_URL}]},
    "Cloud Sleeping Mat": {"title": "Cloud Isomatte"},
    "Camp Kettle": {"title": "Camping-Wasserkessel"},
}
ENGLISH_CATALOG = [*GERMAN, "Pitch it in five minutes"]


def copy_phrases(locale: str, milestone: str, channel: str) -> set[str]:
    words = copy(locale)
    if channel == "sms":
        return phrases([words["sms"][milestone]])
    own = {**words["common"], **words[milestone]}
    own.pop("name")  # the template's name in the dashboard, never shown to the shopper
    return phrases([*own.values(), *LAYOUT_WORDS[locale].values()])


@pytest.fixture
def german_order(personas):
    """A German shopper's order of a tent and a mat, from a catalog with German texts, and a
    kettle in stock that recommendations can pick."""
    tenant = personas.tenant_a
    order = make_order(tenant, customer=make_customer(tenant, first_name="Lena", locale="de-DE",
                                                      marketing_email_consent=True))
    make_product(tenant, "Camp Kettle", category="Cooking")
    with tenant_scope(tenant):
        for product in Product.objects.all():
            product.translations = {"de": GERMAN[product.title]}
            product.save(update_fields=["translations"])
    return tenant, order


def test_a_german_shoppers_emails_are_german_down_to_the_catalogs_link_titles(german_order):
    tenant, order = german_order
    shipment = make_shipment(tenant, order, delayed=True)
    with tenant_scope(tenant):
        installed = default_templates_install(tenant)
    seen = ""
    for key, template in installed.items():
        milestone, channel = key.rsplit("-", 1)
        message = make_message(tenant, shipment=shipment, milestone=milestone, channel=channel,
                               locale="de-DE", includes_marketing=True)
        with tenant_scope(tenant):
            context = context_for(tenant, milestone=milestone, shipment=shipment, message=message,
                                  include_marketing=True)
        with tenant_scope(template.tenant):
            rendered = render_message(template_version_current(template, "de"), context,
                                      message=message)
        shown = html.unescape(f"{rendered.subject}\n{rendered.html}\n{rendered.text}")
        english = copy_phrases("en", milestone, channel) - copy_phrases("de", milestone, channel)
        assert english, key  # the check below checks something
        assert [phrase for phrase in english if phrase in shown] == [], key
        assert [title for title in ENGLISH_CATALOG if title in shown] == [], key
        seen += shown
    for german in ("Trail 2 Trekkingzelt", "Cloud Isomatte", "So geht’s los: In fünf Minuten "
                   "aufgebaut", "Das könnte dir auch gefallen", "Camping-Wasserkessel"):
        assert german in seen


def test_a_shopper_in_a_language_the_catalog_lacks_reads_the_products_own_texts(german_order):
    tenant, order = german_order
    with tenant_scope(tenant):
        order.customer.locale = "fr"
        order.customer.save(update_fields=["locale"])
        context = context_for(tenant, milestone="delivered", order=order, include_marketing=True)
    assert [line["title"] for line in context["line_items"]] == ["Trail 2 Tent", "Cloud Sleeping Mat"]
    assert context["line_items"][0]["how_to"][0]["title"] == "Pitch it in five minutes"
    assert [pick["title"] for pick in context["recommendations"]] == ["Camp Kettle"]


@pytest.mark.parametrize("locale", ["de", "fr", "es"])
def test_the_previews_sample_order_is_in_the_previewed_language(locale):
    from messaging.rendering import sample_context

    english, sample = sample_context(locale="en"), sample_context(locale=locale)
    for key in ("title", "how_to"):
        assert sample["line_items"][0][key] != english["line_items"][0][key]
    assert sample["recommendations"][0]["title"] != english["recommendations"][0]["title"]
    assert sample["line_items"][0]["image_url"] == english["line_items"][0]["image_url"] != ""
