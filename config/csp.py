"""Content-Security-Policy (SECURITY.md, docs/operations.md "Content Security Policy").

Every answer gets the site's policy from django-csp (`csp.middleware.CSPMiddleware`, configured
by settings.CONTENT_SECURITY_POLICY): scripts, styles, images and fonts from this site only, no
inline script or style. A template that cannot avoid an inline <style> (a brand's colours,
chosen at run time) gives it `nonce="{{ CSP_NONCE }}"`; django-csp adds a nonce to the header
only for the requests that printed one. A view framed by the dashboard says so with
`csp_replace({"frame-ancestors": [SELF]})` beside `xframe_options_sameorigin`.

Two kinds of page set a policy of their own, which django-csp leaves alone (it never replaces
a header a view set), built here:

    shopper_policy(body)        the shopper pages: nothing from another host, no script, their
                                one <style> allowed by its hash (pages are cached whole)
    email_frame_response(html)  a shopper's e-mail shown in the dashboard: its own URL, sandboxed
"""

from __future__ import annotations

import base64
import functools
import hashlib
from collections.abc import Mapping, Sequence

from csp.constants import HEADER
from django.http import HttpResponse


def policy_header(directives: Mapping[str, Sequence[str]]) -> str:
    return "; ".join(" ".join([name, *sources]) for name, sources in directives.items())


# A shopper's page (tracking, lookup, rating, preferences): nothing from another host, no
# script at all; its one <style> is allowed by its hash (shopper_policy).
SHOPPER_DIRECTIVES: dict[str, list[str]] = {
    "default-src": ["'none'"],
    "img-src": ["'self'", "data:"],
    "style-src": [],
    "form-action": ["'self'"],
    "base-uri": ["'none'"],
    "frame-ancestors": ["'self'"],  # the dashboard's live preview of the tracking page
}
_STYLE_OPEN, _STYLE_CLOSE = b"<style>", b"</style>"


def shopper_policy(body: bytes) -> str:
    """The policy of a shopper's page as rendered. Its styles are inline on purpose (one
    request on a phone, the page cached whole in Redis), so the header allows exactly the
    page's first <style> by its SHA-256: the templates put that sheet in <head>, where only
    escaped text comes before it, so nothing a store or shopper wrote can be the first
    <style>, and any later one is refused. Taken from the body because a cached page is
    served as stored bytes (tracking/public/cache.py): hashing ~7 kB costs microseconds.
    The sheet is found with bytes.find, not a regular expression: a lazy `.*?` over the
    tracking page's 7 kB sheet took 50-100 µs a page, most of this function's cost."""
    start = body.find(_STYLE_OPEN)
    end = body.find(_STYLE_CLOSE, start + len(_STYLE_OPEN)) if start >= 0 else -1
    if end < 0:
        return _policy("'none'")
    sheet = body[start + len(_STYLE_OPEN):end]
    return _policy(f"'sha256-{base64.b64encode(hashlib.sha256(sheet).digest()).decode()}'")


@functools.lru_cache(maxsize=256)
def _policy(style_source: str) -> str:
    """The header for one style source: a shop's sheets are few (its colours, its languages)."""
    return policy_header({**SHOPPER_DIRECTIVES, "style-src": [style_source]})


# A shopper's e-mail shown in the dashboard (the dev outbox, a message, a template's preview):
# HTML with inline styles and remote pictures by nature, so it is served from a URL of its
# own, in a frame the dashboard's own page embeds: no script, an opaque origin (sandbox), and
# framed by this site only. Its links open outside (links_open_outside's <base target>).
EMAIL_FRAME_DIRECTIVES: dict[str, list[str]] = {
    "default-src": ["'none'"],
    "style-src": ["'unsafe-inline'"],
    "img-src": ["*", "data:"],
    "font-src": ["*", "data:"],
    "base-uri": ["'none'"],
    "form-action": ["'none'"],
    "frame-ancestors": ["'self'"],
    "sandbox": ["allow-popups", "allow-popups-to-escape-sandbox"],
}


def email_frame_response(html: str) -> HttpResponse:
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response[HEADER] = policy_header(EMAIL_FRAME_DIRECTIVES)
    response["X-Frame-Options"] = "SAMEORIGIN"
    response["Cache-Control"] = "private, no-store"
    return response
