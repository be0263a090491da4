"""Settings → Tracking page: the defaults, saving the apology offer, blocks, returns button and
languages (checked the same way by the form and the service), who may change them, the page
showing a saved change at once, and the live preview of the real page for a store's parcel."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from config.errors import ValidationFailed
from config.redis_client import redis_client
from tenants.context import tenant_scope
from tenants.permissions import Role
from tenants.tests.factories import UserFactory, add_member
from tracking import pageviews
from tracking.selectors import tracking_page_settings_get
from tracking.services.page_settings import tracking_page_settings_update

from .page_support import make_parcel

pytestmark = pytest.mark.django_db
URL = reverse("tracking-settings:tracking-page")
PREVIEW = reverse("tracking-settings:tracking-page-preview")
ALL = [code for code, _name in settings.LANGUAGES]
FORM = {"apology_text": "", "apology_code": "", "show_items": "on",
        "show_recommendations": "on", "show_help": "on", "languages": ALL}


def test_a_store_that_saved_nothing_gets_the_defaults(personas):
    with tenant_scope(personas.tenant_a):
        page = tracking_page_settings_get(personas.tenant_a)
    assert page.pk is None
    assert (page.show_items, page.show_recommendations, page.show_help) == (True, True, True)
    assert page.returns_enabled is False and page.has_apology is False
    assert page.offered_languages == ALL


def test_an_owner_saves_the_apology_blocks_returns_and_languages(client, personas):
    client.force_login(personas.alice)
    response = client.post(URL, {**FORM, "apology_text": " Sorry for the wait! ",
                                 "apology_code": "SORRY10", "show_recommendations": "",
                                 "returns_enabled": "on", "languages": ["de", "en"]})
    assert response.status_code == 302
    with tenant_scope(personas.tenant_a):
        page = tracking_page_settings_get(personas.tenant_a)
    assert (page.apology_text, page.apology_code) == ("Sorry for the wait!", "SORRY10")
    assert (page.show_items, page.show_recommendations, page.returns_enabled) == (True, False, True)
    assert page.languages == ["en", "de"]  # in the site's order
    body = client.get(URL).content.decode()
    assert "Sorry for the wait!" in body and 'value="SORRY10"' in body


def test_choosing_every_language_offers_the_ones_added_later(client, personas):
    client.force_login(personas.alice)
    client.post(URL, FORM)
    with tenant_scope(personas.tenant_a):
        assert tracking_page_settings_get(personas.tenant_a).languages == []


@pytest.mark.parametrize(("changes", "words"), [
    ({"languages": []}, "This field is required."),
    ({"languages": ["xx"]}, "Select a valid choice."),
    ({"apology_code": "SORRY10"}, "Add a few words to go with the code"),
    ({"apology_text": "x" * 501}, "at most 500 characters"),
])
def test_bad_settings_are_refused_in_words(client, personas, changes, words):
    client.force_login(personas.alice)
    response = client.post(URL, {**FORM, **changes})
    assert response.status_code == 200
    assert words in response.content.decode()
    with tenant_scope(personas.tenant_a):
        assert tracking_page_settings_get(personas.tenant_a).pk is None


def test_the_service_checks_every_way_in(personas):
    with pytest.raises(ValidationFailed) as failed, tenant_scope(personas.tenant_a):
        tracking_page_settings_update(personas.tenant_a, languages=["en", "tlh"], colour="red")
    assert set(failed.value.details) == {"languages", "colour"}


def test_an_agent_sees_the_page_but_cannot_change_it(client, personas):
    client.force_login(personas.bob)
    body = client.get(URL).content.decode()
    assert "Tracking page" in body and "disabled" in body and "Save tracking page" not in body
    assert client.post(URL, {**FORM, "returns_enabled": "on"}).status_code == 403
    with tenant_scope(personas.tenant_a):
        assert tracking_page_settings_get(personas.tenant_a).returns_enabled is False


def test_a_marketer_may_change_it(client, personas):
    marketer = UserFactory(email="mia@alpha.test", username="mia")
    add_member(personas.tenant_a, marketer, Role.MARKETER)
    client.force_login(marketer)
    assert client.post(URL, {**FORM, "returns_enabled": "on"}).status_code == 302


def test_a_saved_change_shows_on_the_cached_page_at_once(client, personas,
                                                          django_capture_on_commit_callbacks):
    parcel = make_parcel(personas.tenant_a, statuses=("in_transit", "exception"),
                         cause="recipient")
    assert "Sorry for the wait!" not in client.get(parcel.url).content.decode()  # now cached
    client.force_login(personas.alice)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, {**FORM, "apology_text": "Sorry for the wait!", "apology_code": "SORRY10"})
    client.logout()
    body = client.get(parcel.url).content.decode()
    assert "Sorry for the wait!" in body and "SORRY10" in body


def test_the_settings_page_previews_the_real_page_at_two_widths(client, personas):
    parcel = make_parcel(personas.tenant_a, statuses=("in_transit", "delivered"))
    client.force_login(personas.alice)
    body = client.get(URL).content.decode()
    assert f'{PREVIEW}?shipment={parcel.shipment.pk}' in body
    assert 'width="390"' in body and 'width="1280"' in body
    # The preview's rating form must not rate the shopper's delivery: no allow-forms.
    assert body.count('sandbox="allow-same-origin"') == 2 and "allow-forms" not in body
    assert f'href="/t/{parcel.shipment.public_token}/?src=preview"' in body


def test_the_preview_follows_unsaved_settings_and_counts_no_view(client, personas):
    parcel = make_parcel(personas.tenant_a, statuses=("in_transit", "delivered"))
    redis_client().delete(pageviews._pending_key())
    client.force_login(personas.alice)
    saved = client.get(f"{PREVIEW}?shipment={parcel.shipment.pk}")
    assert saved.status_code == 200 and saved["X-Frame-Options"] == "SAMEORIGIN"
    assert "Start a return" not in saved.content.decode()
    live = client.get(f"{PREVIEW}?shipment={parcel.shipment.pk}&preview=1&show_items=on"
                      "&show_help=on&returns_enabled=on&languages=en&languages=de")
    body = live.content.decode()
    assert "Start a return" in body and "How was your delivery?" in body
    with tenant_scope(personas.tenant_a):
        assert tracking_page_settings_get(personas.tenant_a).pk is None  # nothing saved
    assert not redis_client().exists(pageviews._pending_key())


def test_the_preview_never_shows_another_stores_parcel(client, personas):
    theirs = make_parcel(personas.tenant_b, statuses=("delivered",))
    client.force_login(personas.alice)
    assert client.get(f"{PREVIEW}?shipment={theirs.shipment.pk}").status_code == 404
    assert client.get(f"{PREVIEW}?shipment=not-a-number").status_code == 404


def test_a_store_without_parcels_is_told_so(client, personas):
    client.force_login(personas.alice)
    assert "Your first parcel will show here" in client.get(URL).content.decode()
    assert client.get(PREVIEW).status_code == 404
