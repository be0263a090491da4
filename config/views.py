"""Site-wide error pages: JSON in the API's shape under /api/, HTML elsewhere.

Shoppers (tracking, store pages, message links and preferences) get a 404 page of their own,
and never Django's debug 404 page, even with DEBUG on as in the demo. Django shows its debug
page for any Http404 while DEBUG is on and offers no hook for it, so the shopper routes take
care of it themselves: each view is wrapped in `shopper_page`, and `shopper_fallback_urls`
answers the shopper addresses that match no route.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import re_path

from config.api.errors import json_not_found, json_server_error

# Where shopper-facing pages live (DESIGN.md "Public URLs"): /t/ tracking, /s/ the store's
# lookup and returns, /u/ preferences, /m/ open pixel and click redirect.
SHOPPER_PREFIXES = ("t", "s", "u", "m")


def is_shopper_path(path: str) -> bool:
    return path.lstrip("/").split("/", 1)[0] in SHOPPER_PREFIXES


def not_found(request, exception=None):
    if request.path.startswith("/api/"):
        return json_not_found(request, exception)
    # A store's own tracking domain (tenants.domains) serves shoppers only, at every path.
    if is_shopper_path(request.path) or getattr(request, "host_tenant_id", None) is not None:
        # A shopper's page, also for a signed-in member: no dashboard frame, no "Log in".
        return render(request, "errors/404.html", {"shopper": True, "tenant": None}, status=404)
    return render(request, "errors/404.html", status=404)


def server_error(request):
    if request.path.startswith("/api/"):
        return json_server_error(request)
    return render(request, "errors/500.html", status=500)


def shopper_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A shopper-facing view: its Http404 becomes the shopper's 404 page here, before Django
    would show its debug page for it."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except Http404 as exc:
            return not_found(request, exc)

    wrapped.shopper_page = True  # checked by tests/test_shopper_not_found.py
    return wrapped


@shopper_page
def shopper_unknown(request: HttpRequest) -> HttpResponse:
    raise Http404("no such shopper page")


# Appended after every other route. Only addresses ending in "/": one without it is left
# unmatched, so APPEND_SLASH still sends /u/<token> on to /u/<token>/.
shopper_fallback_urls = [
    re_path(rf"^(?:{'|'.join(SHOPPER_PREFIXES)})/(?:.*/)?$", shopper_unknown),
]
