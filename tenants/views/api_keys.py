"""Settings → API keys. A new key is shown once, in the response to the POST that made it:
it is never stored in the session or anywhere else, and the page is marked uncacheable so
the browser does not keep a copy either."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_POST

from config.errors import ApplicationError

from .. import services
from ..access import access_api_key
from ..forms import ApiKeyCreateForm
from ..models import ApiKey
from ..permissions import Perm
from .base import add_error_to_form, dashboard_view, is_htmx, with_flash


def _page(request: HttpRequest, form: ApiKeyCreateForm, *, new_key: ApiKey | None = None,
          raw_key: str | None = None) -> HttpResponse:
    keys = ApiKey.objects.select_related("created_by")
    response = render(request, "settings/api_keys.html", {
        "keys": keys, "form": form, "new_key": new_key, "raw_key": raw_key,
        "settings_active": "api-keys",
    })
    add_never_cache_headers(response)
    return response


@dashboard_view(Perm.API_KEYS_MANAGE)
def api_keys(request: HttpRequest) -> HttpResponse:
    form = ApiKeyCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            key, raw = services.api_key_create(request.tenant, name=form.cleaned_data["name"],
                                               scope=form.cleaned_data["scope"],
                                               actor=request.user)
        except ApplicationError as exc:
            add_error_to_form(form, exc)
        else:
            return _page(request, ApiKeyCreateForm(), new_key=key, raw_key=raw)
    return _page(request, form)


@require_POST
@dashboard_view(Perm.API_KEYS_MANAGE)
def api_key_revoke(request: HttpRequest, key_id: int) -> HttpResponse:
    key = access_api_key(request.tenant, key_id)
    key = services.api_key_revoke(request.tenant, key.pk, actor=request.user)
    done = f"“{key.name}” is revoked: requests using it are refused from now on."
    if is_htmx(request):
        response = render(request, "settings/_api_key_row.html", {"key": key})
        return with_flash(response, request, done, level="success")
    messages.success(request, done)
    return redirect("dashboard:settings-api-keys")
