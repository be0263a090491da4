"""Signed link tokens: each names its tenant and message, opens only its own kind, and a click
token names a URL of the message by index, never the URL itself."""

from __future__ import annotations

import pytest
from django.core import signing

from messaging import links
from messaging.links import InvalidLinkToken, token_load
from messaging.tests.factories import make_message, make_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def message(personas):
    return make_message(personas.tenant_a, order=make_order(personas.tenant_a),
                        milestone="order_confirmed")


def token_of(url: str, prefix: str, suffix: str) -> str:
    assert url.startswith(prefix) and url.endswith(suffix), url
    return url[len(prefix):len(url) - len(suffix)]


def test_the_open_pixel_url_carries_the_tenant_and_the_message(settings, message):
    url = links.open_pixel_url(message)
    token = token_of(url, f"{settings.PUBLIC_BASE_URL}/m/o/", ".gif")
    assert token_load("open", token) == (message.tenant_id, message.pk, None)


def test_a_click_url_carries_the_index_of_the_link_not_the_url(settings, message):
    message.links = ["https://shop.example.com/a"]
    url = links.click_url(message, "https://shop.example.com/b")
    token = token_of(url, f"{settings.PUBLIC_BASE_URL}/m/c/", "/")
    assert token_load("click", token) == (message.tenant_id, message.pk, 1)
    assert message.links == ["https://shop.example.com/a", "https://shop.example.com/b"]
    assert "shop.example.com" not in url


def test_the_same_url_twice_gets_the_same_index(message):
    first = links.click_url(message, "https://shop.example.com/a")
    again = links.click_url(message, "https://shop.example.com/a")
    assert first == again
    assert message.links == ["https://shop.example.com/a"]


def test_preferences_and_one_click_urls_use_their_own_kinds(settings, message):
    prefs = token_of(links.preferences_url(message), f"{settings.PUBLIC_BASE_URL}/u/", "/")
    unsub = token_of(links.one_click_unsubscribe_url(message), f"{settings.PUBLIC_BASE_URL}/u/",
                     "/one-click/")
    assert token_load("prefs", prefs) == (message.tenant_id, message.pk, None)
    assert token_load("unsub", unsub) == (message.tenant_id, message.pk, None)


def test_a_token_of_one_kind_never_opens_another(settings, message):
    open_token = token_of(links.open_pixel_url(message), f"{settings.PUBLIC_BASE_URL}/m/o/", ".gif")
    for kind in ("click", "prefs", "unsub"):
        with pytest.raises(InvalidLinkToken):
            token_load(kind, open_token)


def test_a_tampered_token_is_refused(message, settings):
    token = token_of(links.preferences_url(message), f"{settings.PUBLIC_BASE_URL}/u/", "/")
    value, signature = token.rsplit(":", 1)
    forged = f"{value[:-1]}{'1' if value[-1] != '1' else '2'}:{signature}"
    for bad in (forged, token[:-2], "", "garbage", f"{value}:"):
        with pytest.raises(InvalidLinkToken):
            token_load("prefs", bad)


def test_a_token_signed_with_another_key_is_refused(message):
    forged = signing.Signer(key="not-our-secret", salt="doorstep.messaging.links.prefs").sign(
        f"{message.tenant_id}.{message.pk}")
    with pytest.raises(InvalidLinkToken):
        token_load("prefs", forged)


def test_a_token_of_tenant_a_names_tenant_a_only(personas, message, settings):
    other = make_message(personas.tenant_b, order=make_order(personas.tenant_b))
    token_a = token_of(links.preferences_url(message), f"{settings.PUBLIC_BASE_URL}/u/", "/")
    token_b = token_of(links.preferences_url(other), f"{settings.PUBLIC_BASE_URL}/u/", "/")
    assert token_load("prefs", token_a)[0] == personas.tenant_a.pk
    assert token_load("prefs", token_b)[0] == personas.tenant_b.pk


def test_an_invalid_token_answers_like_not_found():
    with pytest.raises(InvalidLinkToken) as caught:
        token_load("open", "nope")
    assert caught.value.status == 404


def test_an_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown link token kind"):
        token_load("download", "x")


def test_click_tokens_are_short_enough_for_sms(message):
    message.pk = 987654321
    assert len(links.click_url(message, "https://shop.example.com/")) < 100


def test_tokens_already_sent_in_messages_stay_valid(settings):
    """The signature is Django's salted_hmac (sha256) truncated: links in e-mails sent before
    the signing was sped up must still open."""
    import base64

    from django.utils.crypto import salted_hmac

    settings.SECRET_KEY = "a-secret-key-used-for-this-test-only-0123456789"
    mac = salted_hmac("doorstep.messaging.links.click", "7.2n9c.1",
                      secret=settings.SECRET_KEY, algorithm="sha256").digest()
    issued = f"7.2n9c.1:{base64.urlsafe_b64encode(mac).decode()[:22]}"
    assert links.token_make("click", 7, 123456, 1) == issued
    assert token_load("click", issued) == (7, 123456, 1)


def test_signatures_are_hmac_sha256_under_the_kinds_key():
    """_signature finishes precomputed HMAC states: the same MAC as the hmac module's."""
    import base64
    import hmac
    import random

    from messaging.links import KINDS, SIGNATURE_LENGTH, _kind_key, _signature

    pick = random.Random(2104)
    for secret in ("test-secret", "x" * 80, "ü-secret"):
        for kind in KINDS:
            for _ in range(50):
                value = ".".join(str(pick.randint(0, 10**9)) for _ in range(pick.randint(1, 3)))
                mac = hmac.digest(_kind_key(kind, secret), value.encode(), "sha256")
                expected = base64.urlsafe_b64encode(mac).decode()[:SIGNATURE_LENGTH]
                assert _signature(kind, value, secret) == expected, (kind, value)
