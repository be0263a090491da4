"""The Content-Security-Policy of every answer (SECURITY.md, docs/operations.md "Content
Security Policy").

    settings.CONTENT_SECURITY_POLICY ──► policy_header() ──► ContentSecurityPolicyMiddleware
         (django-csp 4's shape)          one header string      every answer without its own

Dashboard, account, admin, API and error pages get the site's policy: scripts, styles, images
and fonts from this site only, no inline script or style. A template that cannot avoid an
inline <style> (a brand's colours, chosen at run time) gives it `nonce="{{ csp_nonce }}"`: the
nonce is made only for the requests that use one. Pages with a policy of their own set the
header themselves and are left alone: the shopper pages (`shopper_policy`: nothing from
another host, no script, their one <style> by its hash), and the frames that show a
shopper's e-mail (`email_frame_response`).

The setting has django-csp 4's shape (`{"DIRECTIVES": {...}}`, `NONCE` in a list), so moving to
django-csp, which was not available to this installation, is a change of middleware only.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
import secrets
from collections.abc import Callable, Mapping, Sequence

from django.conf import settings
from django.http import HttpRequest, HttpResponse

HEADER = "Content-Security-Policy"
# Stands for the request's nonce in a directive's sources (django-csp's csp.constants.NONCE).
NONCE = "<CSP_NONCE_VALUE>"


class Nonce:
    """A request's nonce, made the first time a template prints it."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value: str | None = None

    def __str__(self) -> str:
        if self.value is None:
            self.value = secrets.token_urlsafe(18)
        return self.value


def policy_header(directives: Mapping[str, Sequence[str]], nonce: str | None = None) -> str:
    """The header's value; the NONCE placeholder becomes the nonce, or goes when there is none."""
    parts = []
    for name, sources in directives.items():
        values = [(f"'nonce-{nonce}'" if nonce else None) if s == NONCE else s for s in sources]
        parts.append(" ".join([name, *(v for v in values if v)]))
    return "; ".join(parts)


def site_directives() -> dict[str, list[str]]:
    return {name: list(sources) for name, sources in settings.CONTENT_SECURITY_POLICY["DIRECTIVES"].items()}


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
_FIRST_STYLE = re.compile(rb"<style>(.*?)</style>", re.DOTALL)


def shopper_policy(body: bytes) -> str:
    """The policy of a shopper's page as rendered. Its styles are inline on purpose (one
    request on a phone, the page cached whole in Redis), so the header allows exactly the
    page's first <style> by its SHA-256: the templates put that sheet in <head>, where only
    escaped text comes before it, so nothing a store or shopper wrote can be the first
    <style>, and any later one is refused. Taken from the body because a cached page is
    served as stored bytes (tracking/public/cache.py): hashing ~5 kB costs microseconds."""
    found = _FIRST_STYLE.search(body)
    sources = ["'none'"]
    if found:
        digest = base64.b64encode(hashlib.sha256(found.group(1)).digest()).decode()
        sources = [f"'sha256-{digest}'"]
    return policy_header({**SHOPPER_DIRECTIVES, "style-src": sources})


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


def csp_directives_replaced(**directives: Sequence[str]):
    """A view whose page needs a directive of its own (names with `_` for `-`), e.g. the API
    reference, whose renderer injects its styles at run time."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            response = view(request, *args, **kwargs)
            policy = site_directives()
            policy.update({name.replace("_", "-"): list(v) for name, v in directives.items()})
            response[HEADER] = policy_header(policy, _nonce_used(request))
            return response

        return wrapped

    return decorate


def _nonce_used(request: HttpRequest) -> str | None:
    nonce = getattr(request, "csp_nonce", None)
    return nonce.value if isinstance(nonce, Nonce) else None


class ContentSecurityPolicyMiddleware:
    """Gives every answer that has no policy of its own the site's policy. Framing follows
    X-Frame-Options (set further in, per view): SAMEORIGIN lets this site frame the page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        directives = site_directives()
        self.deny = policy_header({**directives, "frame-ancestors": ["'none'"]})
        self.same_origin = policy_header({**directives, "frame-ancestors": ["'self'"]})
        self.directives = directives

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.csp_nonce = Nonce()  # type: ignore[attr-defined]
        response = self.get_response(request)
        if HEADER in response:
            return response
        framed = response.get("X-Frame-Options", "").upper() == "SAMEORIGIN"
        nonce = _nonce_used(request)
        if nonce is None:
            response[HEADER] = self.same_origin if framed else self.deny
        else:
            ancestors = ["'self'"] if framed else ["'none'"]
            response[HEADER] = policy_header({**self.directives, "frame-ancestors": ancestors}, nonce)
        return response


def nonce(request: HttpRequest) -> dict:
    """Context processor: `{{ csp_nonce }}` in templates."""
    return {"csp_nonce": getattr(request, "csp_nonce", "")}
