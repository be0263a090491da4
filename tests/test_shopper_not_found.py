"""Shoppers never see Django's debug 404 page, even with DEBUG on as in the demo: a forged
link, an old token or a mistyped address gets the plain shopper 404 page, status 404."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from config.views import SHOPPER_PREFIXES

pytestmark = pytest.mark.django_db

# Phrases only Django's technical 404 page carries.
DEBUG_PAGE = ("You’re seeing this error because you have", "Using the URLconf defined in",
              "Page not found at")


@pytest.fixture
def debug_on(settings):
    settings.DEBUG = True


def _assert_shopper_404(response) -> None:
    body = response.content.decode()
    assert response.status_code == 404
    assert not [phrase for phrase in DEBUG_PAGE if phrase in body], body[:300]
    assert 'id="shopper-not-found"' in body
    assert "Log in" not in body


@pytest.mark.parametrize("path", [
    "/t/no-such-token/",          # tracking page (by token)
    "/s/acme/track/",             # the store's lookup page
    "/s/acme/returns/x/y/",
    "/u/forged-token/",           # preferences: the view raises Http404
    "/m/c/forged-token/",         # click redirect: the view raises Http404
    "/m/nothing/here/",
])
def test_a_wrong_shopper_address_gets_the_shopper_404_with_debug_on(client, debug_on, path):
    _assert_shopper_404(client.get(path))


def test_a_forged_one_click_unsubscribe_gets_the_shopper_404(client, debug_on):
    _assert_shopper_404(client.post("/u/forged-token/one-click/",
                                    {"List-Unsubscribe": "One-Click"}))


def test_a_signed_in_member_following_a_bad_shopper_link_sees_the_shopper_page(
        client, debug_on, personas):
    client.force_login(personas.alice)
    response = client.get("/u/forged-token/")
    _assert_shopper_404(response)
    assert "Alpha Outfitters" not in response.content.decode()


def test_an_address_without_its_slash_is_still_sent_on_to_it(client, debug_on):
    response = client.get("/u/some-token")
    assert (response.status_code, response["Location"]) == (301, "/u/some-token/")


def test_without_debug_the_shopper_gets_the_same_page(client):
    _assert_shopper_404(client.get("/t/no-such-token/"))


def test_other_addresses_keep_the_page_with_the_log_in_button(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Log in" in response.content.decode()


def _routes(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def test_every_shopper_route_turns_its_404_into_the_shopper_page():
    """A new shopper view must be wrapped in config.views.shopper_page, or its Http404
    shows Django's debug page in the demo."""
    shopper = [(route, view) for route, view in _routes(get_resolver().url_patterns)
               if route.lstrip("^").split("/", 1)[0] in SHOPPER_PREFIXES]
    assert len(shopper) >= 4
    bare = [route for route, view in shopper if not getattr(view, "shopper_page", False)]
    assert not bare, f"wrap these views in config.views.shopper_page: {bare}"
