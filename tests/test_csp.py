"""A Content-Security-Policy on every answer (issue 15, point 5; config/csp.py).

Every route in the URLconf (dashboard, shopper, account, admin, API, webhooks, health) is
fetched with GET, anonymously and as a store's owner, with sample values for its parameters:
whatever it answers (a page, a redirect, 401, 404, 405), the answer carries a policy. HTML
pages under the site's policy carry no inline script and no style attribute, and a <style>
element only with the request's nonce. The browser tests check the same in Chromium
(tests/browser/conftest.py: a CSP violation fails the test).
"""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern, RoutePattern

from config.csp import EMAIL_FRAME_DIRECTIVES, HEADER, policy_header, shopper_policy
from messaging.links import preferences_url
from messaging.tests.dashboard_support import make_message
from tenants.context import tenant_scope
from tenants.services import brand_update

pytestmark = pytest.mark.django_db

# A sample per path converter, and per named group of the regex routes (allauth, admin).
CONVERTER_SAMPLES = {
    "int": "1",
    "str": "sample",
    "slug": "sample",
    "path": "sample/x",
    "uuid": "00000000-0000-0000-0000-000000000001",
}
GROUP_SAMPLES = {"key": "sample-key", "uidb36": "1", "app_label": "tenants", "url": "sample"}
# A script element without src runs inline, unless it holds data (type="application/json").
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\s(?:src=|type=\"application/json\"))[^>]*>", re.IGNORECASE)
STYLE_ELEMENT = re.compile(r"<style\b([^>]*)>", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[a-z][^>]*\sstyle=", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+=", re.IGNORECASE)


def _sample(pattern) -> str:
    if isinstance(pattern, RoutePattern):
        return re.sub(r"<(?:(\w+):)?\w+>", lambda m: CONVERTER_SAMPLES[m.group(1) or "str"], str(pattern))
    assert isinstance(pattern, RegexPattern)
    text = str(pattern).lstrip("^").rstrip("$").replace(r"\.", ".")
    text = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: GROUP_SAMPLES[m.group(1)], text)
    text = re.sub(r"\(\?:\.\*/\)\?", "", text)  # an optional tail
    return re.sub(r"\(\?:(\w+)\|[^)]*\)", r"\1", text)  # alternatives: the first


def _routes(patterns=None, prefix: str = ""):
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, prefix + _sample(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield "/" + prefix + _sample(entry.pattern), entry


ROUTES = sorted({url: entry for url, entry in _routes()}.items())


def test_every_route_has_a_sample_address_that_reaches_it():
    """The walk covers every route: each sample address resolves to the route it was made
    from (a new route with a parameter nobody has a sample for fails here)."""
    assert len(ROUTES) > 100
    for url, entry in ROUTES:
        assert resolve(url).func == entry.callback, url


def _assert_has_policy(url: str, response) -> None:
    policy = response.get(HEADER, "")
    assert policy, f"{url} answered {response.status_code} without a {HEADER}"
    if policy == policy_header(EMAIL_FRAME_DIRECTIVES):
        return  # a shopper's e-mail: sandboxed, no script (config/csp.py)
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if " " in d.strip())
    assert "'unsafe-inline'" not in directives.get("script-src", ""), url
    assert "'unsafe-eval'" not in policy, url


def _assert_nothing_inline(url: str, response) -> None:
    if not response.get("Content-Type", "").startswith("text/html") or response.streaming:
        return
    policy = response[HEADER]
    if "'unsafe-inline'" in policy or "sandbox" in policy:
        return  # a shopper's page or e-mail with inline styles of its own (see docs)
    body = response.content.decode()
    assert not INLINE_SCRIPT.search(body), f"{url}: an inline <script>"
    assert not STYLE_ATTRIBUTE.search(body), f"{url}: a style attribute"
    assert not EVENT_HANDLER.search(body), f"{url}: an on…= event handler"
    for attributes in STYLE_ELEMENT.findall(body):
        nonce = re.search(r'nonce="([^"]+)"', attributes)
        assert nonce and f"'nonce-{nonce.group(1)}'" in policy, f"{url}: <style> without nonce"


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "owner"])
def test_every_route_answers_with_a_policy(personas, signed_in):
    client = Client(raise_request_exception=False)
    if signed_in:
        client.force_login(personas.alice)
    for url, _ in ROUTES:
        response = client.get(url)
        _assert_has_policy(url, response)
        _assert_nothing_inline(url, response)


def test_a_dashboard_page_refuses_anything_inline_or_from_elsewhere(client, personas):
    client.force_login(personas.alice)
    header = client.get("/")[HEADER]
    policy = dict(d.strip().split(" ", 1) for d in header.split(";"))  # directive -> sources
    assert policy["default-src"] == "'self'" and policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"  # no nonce: this page prints none
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"


def test_a_page_that_needs_an_inline_style_gets_a_fresh_nonce(client, personas):
    client.force_login(personas.alice)
    first, second = client.get("/settings/brand/"), client.get("/settings/brand/")
    nonces = [re.search(r"'nonce-([^']+)'", r[HEADER]).group(1) for r in (first, second)]
    assert nonces[0] != nonces[1]
    assert f'<style nonce="{nonces[0]}">#brand-preview{{' in first.content.decode()


def test_a_page_framed_by_the_dashboard_lets_only_this_site_frame_it(client, personas):
    client.force_login(personas.alice)
    response = client.get("/settings/tracking-page/preview/")  # no parcel yet: the empty page
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in response[HEADER]


def test_error_pages_and_the_api_carry_the_policy_too(client, personas):
    assert HEADER in client.get("/no-such-page/")
    assert HEADER in client.get("/api/v1/orders/")
    assert HEADER in client.get("/healthz")


def test_a_shopper_page_allows_its_own_style_sheet_and_no_later_one():
    body = b"<head><title>Shop</title><style>p{color:red}</style></head><body><style>x{}</style>"
    policy = shopper_policy(body)
    digest = base64.b64encode(hashlib.sha256(b"p{color:red}").digest()).decode()
    assert f"style-src 'sha256-{digest}';" in policy and policy.count("sha256-") == 1
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert "style-src 'none'" in shopper_policy(b"")  # a redirect: nothing to allow


def test_the_preferences_page_allows_exactly_its_style_sheet(client, personas):
    with tenant_scope(personas.tenant_a):
        brand_update(personas.tenant_a, primary_color="#0E7C66")
    response = client.get(urlsplit(preferences_url(make_message(personas.tenant_a))).path)
    assert response.status_code == 200
    sheet = re.search(rb"<style>(.*?)</style>", response.content, re.DOTALL).group(1)
    assert b"--primary: #0E7C66" in sheet
    digest = base64.b64encode(hashlib.sha256(sheet).digest()).decode()
    assert f"style-src 'sha256-{digest}';" in response[HEADER]
