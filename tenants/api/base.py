"""What every app's API shares, in one place: the base endpoint class, who did it (for the
order timeline), strict input validation with flat field paths, list filters, cursor
pagination and its OpenAPI shape.

    TenantApiView         tenant from the API key, one `Perm` per method (`required_perms`)
    api_actor(request)    "api:<key prefix>", the actor services record
    validated(serializer) the validated data, or a 400 naming each bad field by its path
    query_filters(…)      the query string's filters, strict: a misspelt filter is a 400
    paginated_response(…) one cursor page; PAGINATION_PARAMETERS and paginated_schema(…) are
                          its OpenAPI parameters and shape

Errors are flattened to one path per field (`lines[1].quantity`, `[3].price`), the form the
services and the tracking-events endpoint already use, so a client reads every validation error
the same way whichever layer found it.
"""

from __future__ import annotations

from collections.abc import Mapping

from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.serializers import QUERY_STRING
from config.errors import ValidationFailed
from config.untrusted import digits_int
from tenants.models import Tenant

NON_FIELD = "non_field_errors"
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
# Query parameters the paginator reads; every other one must be a filter the endpoint knows.
PAGINATION_PARAMS = ("cursor", "page_size")


class TenantApiView(APIView):
    """Base for every tenant API endpoint: the tenant comes from the API key (already in scope
    when the handler runs) and each method states the `Perm` it needs in `required_perms`."""

    required_perms: dict = {}

    @property
    def tenant(self) -> Tenant:
        return self.request.user.tenant


def api_actor(request) -> str:
    """Who did it, for the order timeline: the key's prefix names it without revealing it."""
    return f"api:{request.user.key.prefix}"


# --- input -----------------------------------------------------------------------------

def flat_errors(detail: object, path: str = "") -> dict[str, list[str]]:
    """DRF's nested error structure → {"lines[1].quantity": ["…"]}."""
    if isinstance(detail, Mapping):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            if isinstance(key, int):  # ListField reports its children by index
                child = f"{path}[{key}]"
            elif key == NON_FIELD:
                child = path
            else:
                child = f"{path}.{key}" if path else str(key)
            flat.update(flat_errors(value, child))
        return flat
    if isinstance(detail, list) and not all(isinstance(item, str) for item in detail):
        flat = {}
        for index, item in enumerate(detail):
            if item:  # a valid item of a list reports {}
                flat.update(flat_errors(item, f"{path}[{index}]"))
        return flat
    messages = detail if isinstance(detail, list) else [detail]
    return {path or NON_FIELD: [str(message) for message in messages]}


def validated(serializer: serializers.BaseSerializer) -> dict | list:
    """The serializer's validated data, or a 400 that names each bad field by its path."""
    if not serializer.is_valid():
        raise ValidationFailed("Some fields are not valid; see details.",
                               details=flat_errors(serializer.errors))
    return serializer.validated_data


def query_filters(request: Request, serializer_class: type[serializers.Serializer]) -> dict:
    """The list filters in the query string, validated by a strict serializer: a misspelt
    filter is an error, never a silently unfiltered list. A blank value is as if left out
    (every query parameter's `allowEmptyValue` in the schema, config/api/schema.py)."""
    params = {key: value for key, value in request.query_params.items()
              if key not in PAGINATION_PARAMS and value != ""}
    # Query values are strings: the serializer parses them (the JSON type check is for bodies).
    return dict(validated(serializer_class(data=params, context={QUERY_STRING: True})))


# --- lists -----------------------------------------------------------------------------

class ApiCursorPagination(CursorPagination):
    """Stable pages over tables that grow while a client walks them: the cursor is a position,
    not an offset, so new rows never shift a page. Newest first."""

    page_size = PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE  # larger asks are capped, as DRF does
    ordering: str | tuple[str, ...] = "-created_at"

    def __init__(self, ordering: str | tuple[str, ...] | None = None):
        if ordering is not None:
            self.ordering = ordering

    def get_page_size(self, request) -> int:
        """DRF falls back to the default for a page size it cannot read; the schema says a
        whole number from 1 (or blank: the default), so anything else is a 400."""
        raw = request.query_params.get(self.page_size_query_param)
        if not raw:
            return self.page_size
        size = digits_int(raw)
        if not size:
            raise ValidationFailed("Some fields are not valid; see details.", details={
                self.page_size_query_param: [f"A whole number from 1 (at most {MAX_PAGE_SIZE} "
                                             "are sent)."]})
        return min(size, self.max_page_size)

    def decode_cursor(self, request):
        if request.query_params.get(self.cursor_query_param) == "":
            return None  # blank: the first page, as if left out
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationFailed("Some fields are not valid; see details.", details={
                "cursor": ["Not a cursor we issued; follow the `next` or `previous` link as given."],
            }) from None


def paginated_response(request: Request, view, queryset, serializer_class, *,
                       ordering: str | tuple[str, ...] | None = None,
                       context: dict | None = None) -> Response:
    """`context`: what the serializer needs besides the request (looked up once per page)."""
    paginator = ApiCursorPagination(ordering)
    page: list | None = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(
        serializer_class(page, many=True, context={"request": request, **(context or {})}).data)


PAGINATION_PARAMETERS = [
    OpenApiParameter("cursor", str, description="Opaque position from a previous page's "
                                                "`next` or `previous` link."),
    OpenApiParameter("page_size", {"type": "integer", "minimum": 1},
                     description=f"Items per page: {PAGE_SIZE} by default; more than "
                                 f"{MAX_PAGE_SIZE} are sent as {MAX_PAGE_SIZE}."),
]


def paginated_schema(serializer_class: type[serializers.Serializer], name: str):
    """The OpenAPI shape of one page: {"next", "previous", "results": [...]}."""
    return inline_serializer(name, {
        "next": serializers.URLField(allow_null=True, help_text="The next page, or null."),
        "previous": serializers.URLField(allow_null=True, help_text="The previous page, or null."),
        "results": serializer_class(many=True),
    })
