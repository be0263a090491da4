"""Returns through the API: the same services and policy as the portal and the dashboard.

    /returns/                  GET the queue (filters, cursor) · POST start one for a shopper
    /returns/{id}/             GET one, with its lines and timeline
    /returns/{id}/approve/     POST requested | needs_review → approved
    /returns/{id}/reject/      POST … → rejected, with the reason the shopper is told
    /returns/{id}/receive/     POST approved | label_ready | in_transit → received, per line
    /returns/{id}/settle/      POST received (kept: approved) → refunded | credited | exchanged
    /returns/{id}/cancel/      POST any step before received → cancelled
    /return-policy/            GET the version in force · PUT replace · PATCH change: each
                               edit is a new version (a return keeps the one it was made under)

A step that does not fit where the return is answers 409 `return_wrong_status` (its `details`
say the status), never a second event; the policy's refusals answer 400 with their own code.
"""

from __future__ import annotations

from datetime import timedelta
from typing import cast

from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response

from config.errors import ApplicationError, ValidationFailed
from config.untrusted import digits_int
from orders.selectors import order_get
from tenants.api.base import (
    PAGINATION_PARAMETERS,
    TenantApiView,
    api_actor,
    paginated_response,
    paginated_schema,
    query_filters,
    validated,
)
from tenants.permissions import Perm
from tenants.services import brand_get

from .. import services
from ..models import CreatedVia
from ..selectors import QUEUE_AGES, return_policy_get, return_request_get, return_request_list
from .serializers import (
    ReturnCreateSerializer,
    ReturnDetailSerializer,
    ReturnFilterSerializer,
    ReturnPolicyInputSerializer,
    ReturnPolicySerializer,
    ReturnReceiveSerializer,
    ReturnRejectSerializer,
    ReturnSerializer,
    ReturnSettleSerializer,
)

WRONG_STATUS = OpenApiResponse(description="`return_wrong_status`: the return is not at a step "
                                           "this can follow (`details.status` says where it "
                                           "is).")
REFUSALS = ("`validation_error`: some fields are not valid (`details` names each by its "
            "path); `malformed_body`: not JSON, or JSON we refuse. The policy's refusals, with "
            "the line at fault in `details` (`lines[0]`): `returns_disabled` (no policy yet), "
            "`unknown_item`, `duplicate_item`, `quantity_too_high`, `reason_not_offered`, "
            "`window_closed`, `final_sale`, `non_returnable_category`, `non_returnable_tag`, "
            "`already_returned`, `gift_not_returnable`, `not_shipped`, "
            "`resolution_not_allowed` (`details.allowed`), `exchange_not_available`, "
            "`method_mismatch`, `label_not_available`.")


def _body(serializer) -> dict:
    """The validated body of an object serializer (never a list here)."""
    return cast(dict, validated(serializer))


def _context(view: TenantApiView) -> dict:
    brand = brand_get(view.tenant)
    return {"tenant": view.tenant, "domain": brand.custom_tracking_domain or None}


def _detail(view: TenantApiView, request_id: int, *, code: int = status.HTTP_200_OK) -> Response:
    found = return_request_get(view.tenant, request_id)
    return Response(ReturnDetailSerializer(found, context=_context(view)).data, status=code)


def _at(exc: ApplicationError, paths: dict[int, str], key: str) -> ApplicationError:
    """A service's refusal naming a line by id (`details[key]`), renamed to where that line
    sits in the body (`lines[1]`), so every error names a field of the request."""
    named = exc.details.get(key) if isinstance(exc.details, dict) else None
    path = paths.get(named) if isinstance(named, int) else None
    if path is not None:
        rest = {k: v for k, v in exc.details.items() if k != key}
        exc.details = {path: [exc.message], **rest}
    return exc


# --- the queue -------------------------------------------------------------------------

class ReturnListApi(TenantApiView):
    required_perms = {"GET": Perm.RETURNS_VIEW, "POST": Perm.RETURNS_MANAGE}

    @extend_schema(
        operation_id="returns_list",
        parameters=[ReturnFilterSerializer, *PAGINATION_PARAMETERS],
        responses=paginated_schema(ReturnSerializer, "PaginatedReturnList"),
        summary="List returns with their lines, newest first",
        description="The returns team's queue: filter by `status`, `reason`, `needs_review` "
                    "and `age` (started more than 2, 7 or 30 days ago). A return's timeline "
                    "is in its detail.")
    def get(self, request):
        filters = query_filters(request, ReturnFilterSerializer)
        age = filters.pop("age", None)
        if age:
            filters["created_before"] = min(
                filter(None, (filters.get("created_before"),
                              timezone.now() - timedelta(days=QUEUE_AGES[age]))))
        if "order" in filters:
            filters["order_id"] = filters.pop("order")
        rows = return_request_list(self.tenant, **filters)
        return paginated_response(request, self, rows, ReturnSerializer,
                                  ordering=("-created_at", "-pk"), context=_context(self))

    @extend_schema(
        request=ReturnCreateSerializer,
        responses={201: ReturnDetailSerializer, 400: OpenApiResponse(description=REFUSALS)},
        summary="Start a return on a shopper's behalf",
        description="Judged by the store's policy exactly as the shopper's own return (window, "
                    "eligibility, quantities, reasons, resolutions, fees, fraud guard) and "
                    "recorded as made through the API by your key. Approved at once, or "
                    "`needs_review` when the policy or the fraud guard asks for a person "
                    "(`review_reasons`). No photo is asked for. The shopper is told "
                    "(`return_requested`, and `return_approved` when approved).",
        examples=[OpenApiExample("Two items, store credit", request_only=True, value={
            "order": 1042, "resolution": "store_credit", "method": "self_ship",
            "lines": [{"line_item": 5501, "quantity": 1, "reason": "too_small"},
                      {"line_item": 5502, "quantity": 2, "reason": "changed_mind",
                       "comment": "Ordered two colours"}]})],
    )
    def post(self, request):
        data = _body(ReturnCreateSerializer(data=request.data))
        try:
            order = order_get(self.tenant, data["order"])
        except Http404:
            raise ValidationFailed("Some fields are not valid; see details.", details={
                "order": ["No such order in this store."]}) from None
        lines = [services.LineRequest(line_item_id=line["line_item"], quantity=line["quantity"],
                                      reason=line["reason"], comment=line["comment"],
                                      exchange_product_id=line["exchange_product"])
                 for line in data["lines"]]
        paths = {line["line_item"]: f"lines[{i}]" for i, line in enumerate(data["lines"])}
        try:
            created = services.return_request_create(
                self.tenant, order.pk, lines, resolution=data["resolution"],
                method=data["method"], created_via=CreatedVia.API, actor=api_actor(request),
                locale=data["locale"], is_gift=data["is_gift"], photos_required=False,
                label_available=bool(services.return_label_api_key(self.tenant)))
        except services.ReturnRefused as exc:
            raise _at(exc, paths, "line_item_id") from None
        return _detail(self, created.pk, code=status.HTTP_201_CREATED)


class ReturnDetailApi(TenantApiView):
    required_perms = {"GET": Perm.RETURNS_VIEW}

    @extend_schema(responses=ReturnDetailSerializer,
                   summary="One return with its lines, amounts and whole timeline")
    def get(self, request, return_id: int):
        return _detail(self, return_id)


# --- its steps -------------------------------------------------------------------------

class _StepApi(TenantApiView):
    required_perms = {"POST": Perm.RETURNS_MANAGE}

    def found(self, return_id: int) -> int:
        return return_request_get(self.tenant, return_id).pk  # 404 alike for missing, not ours


class ReturnApproveApi(_StepApi):
    @extend_schema(request=None, responses={200: ReturnDetailSerializer, 409: WRONG_STATUS},
                   summary="Approve a return waiting for review",
                   description="From `requested` or `needs_review`; the shopper is told "
                               "(`return_approved`).")
    def post(self, request, return_id: int):
        services.return_approve(self.tenant, self.found(return_id), actor=api_actor(request))
        return _detail(self, return_id)


class ReturnRejectApi(_StepApi):
    @extend_schema(request=ReturnRejectSerializer,
                   responses={200: ReturnDetailSerializer, 409: WRONG_STATUS},
                   summary="Reject a return, saying why",
                   description="Before it is on its way back (`requested`, `needs_review`, "
                               "`approved`, `label_ready`); the shopper is told the reason "
                               "(`return_rejected`) and the items can be returned again.")
    def post(self, request, return_id: int):
        pk = self.found(return_id)  # first: another store's return is not found, whatever sent
        data = _body(ReturnRejectSerializer(data=request.data))
        try:
            services.return_reject(self.tenant, pk, reason=data["reason"],
                                   actor=api_actor(request))
        except ValidationFailed as exc:
            raise ValidationFailed(exc.message, details={"reason": [exc.message]}) from None
        return _detail(self, return_id)


class ReturnReceiveApi(_StepApi):
    @extend_schema(
        request=ReturnReceiveSerializer,
        responses={200: ReturnDetailSerializer,
                   409: OpenApiResponse(description="`return_wrong_status`: not on its way "
                                                    "back (`details.status`), or nothing is "
                                                    "sent back for it (kept).")},
        summary="Mark a return received, per line with its condition",
        description="From `approved`, `label_ready` or `in_transit`. Each line found: its "
                    "quantity (0 to the quantity returned) and condition; the shopper is told "
                    "(`return_received`). The refund is then due within the policy's "
                    "`refund_due_business_days`.",
        examples=[OpenApiExample("One line checked", request_only=True, value={
            "lines": [{"line": 8801, "received_quantity": 1, "condition": "as_new"}]})],
    )
    def post(self, request, return_id: int):
        found = return_request_get(self.tenant, return_id)
        data = _body(ReturnReceiveSerializer(data=request.data))
        own = {line.pk for line in found.lines.all()}
        given = data.get("lines", [])
        problems: dict[str, list[str]] = {}
        seen: set[int] = set()
        for i, line in enumerate(given):
            if line["line"] not in own:
                problems[f"lines[{i}].line"] = ["Not a line of this return."]
            elif line["line"] in seen:
                problems[f"lines[{i}].line"] = ["Each line once."]
            seen.add(line["line"])
        if problems:
            raise ValidationFailed("Some fields are not valid; see details.", details=problems)
        paths = {line["line"]: f"lines[{i}]" for i, line in enumerate(given)}
        try:
            services.return_receive(
                self.tenant, found.pk, actor=api_actor(request),
                lines={line["line"]: (line["received_quantity"], line["condition"])
                       for line in given} or None)
        except ValidationFailed as exc:
            raise _at(exc, paths, "line_id") from None
        return _detail(self, return_id)


class ReturnSettleApi(_StepApi):
    @extend_schema(
        request=ReturnSettleSerializer,
        responses={200: ReturnDetailSerializer, 409: WRONG_STATUS},
        summary="Record the refund, the store credit or the exchange",
        description="Once `received` (a kept item: once `approved`). The return becomes "
                    "`refunded`, `credited` or `exchanged` by its resolution, with the amount "
                    "and your reference; the shopper is told of a refund or credit "
                    "(`refund_issued`).",
        examples=[OpenApiExample("A refund", request_only=True,
                                 value={"amount": "129.00", "reference": "re_3Px81"})],
    )
    def post(self, request, return_id: int):
        pk = self.found(return_id)
        data = _body(ReturnSettleSerializer(data=request.data))
        services.return_settle(self.tenant, pk, amount=data["amount"],
                               reference=data["reference"], actor=api_actor(request))
        return _detail(self, return_id)


class ReturnCancelApi(_StepApi):
    @extend_schema(request=None, responses={200: ReturnDetailSerializer, 409: WRONG_STATUS},
                   summary="Cancel a return",
                   description="Any step before `received`; its items can be returned again.")
    def post(self, request, return_id: int):
        services.return_cancel(self.tenant, self.found(return_id), actor=api_actor(request))
        return _detail(self, return_id)


# --- the policy ------------------------------------------------------------------------

NO_POLICY = OpenApiResponse(description="`not_found`: the store has no return policy yet "
                                        "(PUT one).")
POLICY_EDIT = ("Each edit writes a new version (`version` + 1); returns already started keep "
               "the version they were made under. Categories must be your catalog's (a typo "
               "would never match); problems are named by field path, e.g. "
               "`rules[1].categories`, all at once. Recorded in the audit log.")


class ReturnPolicyApi(TenantApiView):
    required_perms = {"GET": Perm.RETURNS_VIEW, "PUT": Perm.TENANT_MANAGE,
                      "PATCH": Perm.TENANT_MANAGE}

    def _answer(self, policy) -> Response:
        return Response(ReturnPolicySerializer(policy).data)

    @extend_schema(responses={200: ReturnPolicySerializer, 404: NO_POLICY},
                   summary="The return policy in force, with its rules")
    def get(self, request):
        policy = return_policy_get(self.tenant)
        if policy is None:
            raise Http404("no return policy")
        return self._answer(policy)

    @extend_schema(request=ReturnPolicyInputSerializer, responses=ReturnPolicySerializer,
                   summary="Replace the return policy (a new version)",
                   description="Send the whole policy: fields left out take their defaults "
                               "(30 days, every reason, refund, store credit or exchange, no "
                               "fees, no fraud guard, no rules). " + POLICY_EDIT)
    def put(self, request):
        if not digits_int(request.META.get("CONTENT_LENGTH")):
            # Left out, every field would take its default: a missing body is a mistake.
            raise ValidationFailed("Send the whole policy as a JSON object ({} for the "
                                   "defaults).", details={"non_field_errors": [
                                       "The request body is missing."]})
        return self._write(request, partial=False)

    @extend_schema(request=ReturnPolicyInputSerializer(partial=True),
                   responses=ReturnPolicySerializer,
                   summary="Change some fields of the return policy (a new version)",
                   description="Fields left out keep their value; `rules`, when sent, replace "
                               "the rules. " + POLICY_EDIT,
                   examples=[OpenApiExample("Shorter window for swimwear", request_only=True,
                                            value={"category_window_days": {"Swimwear": 14},
                                                   "store_credit_bonus_percent": "10.00"})])
    def patch(self, request):
        return self._write(request, partial=True)

    def _write(self, request, *, partial: bool) -> Response:
        serializer = ReturnPolicyInputSerializer(data=request.data, partial=True)
        fields, rules = ReturnPolicyInputSerializer.to_fields(_body(serializer))
        if not partial and rules is None:
            rules = []
        services.return_policy_update(self.tenant, actor=api_actor(request), rules=rules,
                                      replace=not partial, **fields)
        return self._answer(return_policy_get(self.tenant))
