"""Shipments (POST attaches one to an order; 201 when new, 200 when it existed), tracking
events (POST: our generic event endpoint, stored raw first; GET: what was stored), and the
order detail with its shipments."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import UnsupportedMediaType
from rest_framework.response import Response

from config.errors import Conflict, PayloadTooLarge, ValidationFailed
from orders import selectors as order_selectors
from orders.models import LineItem, Order
from tenants.api.base import (
    PAGINATION_PARAMETERS,
    TenantApiView,
    api_actor,
    paginated_response,
    paginated_schema,
    query_filters,
    validated,
)
from tenants.inbound import inbound_store
from tenants.permissions import Perm

from .. import selectors, services
from ..carriers import generic
from .serializers import (
    OrderDetailSerializer,
    ShipmentDetailSerializer,
    ShipmentFilterSerializer,
    ShipmentInputSerializer,
    ShipmentSerializer,
    TrackingEventFilterSerializer,
    TrackingEventSerializer,
)


def _order_named(tenant, data: dict) -> Order | None:
    """The order the body names by external id or number; a name that finds none is a 400 on
    that field (another tenant's order is simply not found)."""
    for field, key in (("order_external_id", "external_id"), ("order_number", "number")):
        if field in data:
            order = order_selectors.order_find(tenant, **{key: data[field]})
            if order is None:
                raise ValidationFailed("Some fields are not valid; see details.",
                                       details={field: ["No order with this value."]})
            return order
    return None


def _line_pairs(tenant, order: Order, items: list[dict]) -> list[tuple[int, int]]:
    """Items named by line position or SKU → (line item id, quantity), each checked against
    the order's lines."""
    lines = order_selectors.order_lines(tenant, order.pk)
    by_position = {line.position: line for line in lines}
    by_sku: dict[str, LineItem] = {}
    for line in lines:
        if line.sku:
            by_sku.setdefault(line.sku, line)
    pairs, errors = [], {}
    for index, item in enumerate(items):
        if "line" in item:
            line, field = by_position.get(item["line"]), "line"
            missing = f"Order {order.number} has no line {item['line']}."
        else:
            line, field = by_sku.get(item["sku"]), "sku"
            missing = f"Order {order.number} has no line with SKU {item['sku']}."
        if line is None:
            errors[f"items[{index}].{field}"] = [missing]
        elif item["quantity"] > line.quantity:
            errors[f"items[{index}].quantity"] = [
                f"Line {line.position} of order {order.number} has {line.quantity}."]
        else:
            pairs.append((line.pk, item["quantity"]))
    if errors:
        raise ValidationFailed("Some fields are not valid; see details.", details=errors)
    return pairs


class ShipmentListApi(TenantApiView):
    required_perms = {"GET": Perm.ORDERS_VIEW, "POST": Perm.ORDERS_MANAGE}

    @extend_schema(
        operation_id="shipments_list",
        parameters=[ShipmentFilterSerializer, *PAGINATION_PARAMETERS],
        responses=paginated_schema(ShipmentSerializer, "PaginatedShipmentList"),
        summary="List shipments with their canonical status, newest first")
    def get(self, request):
        shipments = selectors.shipment_list(self.tenant,
                                            **query_filters(request, ShipmentFilterSerializer))
        return paginated_response(request, self, shipments, ShipmentSerializer)

    @extend_schema(
        request=ShipmentInputSerializer,
        responses={201: ShipmentDetailSerializer, 200: ShipmentDetailSerializer,
                   409: OpenApiResponse(description="`conflict`: the tracking number belongs "
                                                    "to another order's shipment.")},
        summary="Create a shipment (carrier + tracking number), attached to an order",
        description="Idempotent by carrier + tracking number: sending it again answers 200 and "
                    "adds only items not yet recorded. Events that arrived for the tracking "
                    "number before the shipment did are applied at once. Items name the order's "
                    "lines by position (`line`) or `sku`; errors name the item, e.g. "
                    "`items[1].line`. 409 `conflict` when the tracking number belongs to "
                    "another order's shipment.",
        examples=[OpenApiExample("A shipment", request_only=True, value={
            "carrier": "UPS", "tracking_number": "1Z999AA10123456784",
            "order_external_id": "ord_5521", "service": "Standard",
            "items": [{"line": 1, "quantity": 1}, {"sku": "PEG-10", "quantity": 2}]})],
    )
    def post(self, request):
        data = validated(ShipmentInputSerializer(data=request.data))
        order = _order_named(self.tenant, data)
        existing = selectors.shipment_find(self.tenant, carrier=data["carrier"],
                                           tracking_number=data["tracking_number"])
        if existing and order and existing.order_id not in (None, order.pk):
            raise Conflict(f"Tracking number {existing.tracking_number} belongs to another "
                           "order's shipment.",
                           details={"tracking_number": ["Already shipped with another order."]})
        items = _line_pairs(self.tenant, order, data["items"]) if data.get("items") else ()
        shipment, created = services.shipment_get_or_create(
            self.tenant, carrier=data["carrier"], tracking_number=data["tracking_number"],
            order=order, service=data.get("service", ""),
            promised_delivery=data.get("promised_delivery"), items=items,
            actor=api_actor(request))
        shipment = selectors.shipment_get(self.tenant, shipment.pk)
        return Response(ShipmentDetailSerializer(shipment).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class ShipmentDetailApi(TenantApiView):
    required_perms = {"GET": Perm.ORDERS_VIEW}

    @extend_schema(responses=ShipmentDetailSerializer,
                   summary="One shipment with its items and tracking events")
    def get(self, request, shipment_id: int):
        shipment = selectors.shipment_get(self.tenant, shipment_id)
        return Response(ShipmentDetailSerializer(shipment).data)


class OrderDetailApi(TenantApiView):
    """Served from here, not from orders' API: shipments live a layer above orders."""

    required_perms = {"GET": Perm.ORDERS_VIEW}

    @extend_schema(responses=OrderDetailSerializer,
                   summary="One order with its lines, shipments (with their events) and timeline")
    def get(self, request, order_id: int):
        order = order_selectors.order_get(self.tenant, order_id)
        shipments = selectors.shipments_for_order(self.tenant, order.pk)
        return Response(OrderDetailSerializer(order, context={"shipments": shipments}).data)


class TrackingEventListApi(TenantApiView):
    required_perms = {"GET": Perm.ORDERS_VIEW, "POST": Perm.ORDERS_MANAGE}
    # The raw body is stored before it is parsed, so POST reads the stream itself.
    parser_classes: list = []

    @extend_schema(
        operation_id="tracking_events_list",
        parameters=[TrackingEventFilterSerializer, *PAGINATION_PARAMETERS],
        responses=paginated_schema(TrackingEventSerializer, "PaginatedTrackingEventList"),
        summary="List stored tracking events, most recent first",
        description="Every stored event from every source (carrier webhooks and this "
                    "endpoint), including events still waiting for their shipment.",
    )
    def get(self, request):
        events = selectors.tracking_event_list(
            self.tenant, **query_filters(request, TrackingEventFilterSerializer))
        return paginated_response(request, self, events, TrackingEventSerializer,
                                  ordering=("-occurred_at", "-pk"))

    @extend_schema(
        summary="Push tracking events (one object, or an array of up to 1,000)",
        description=(
            "Canonical statuses: pending, in_transit, out_for_delivery, available_for_pickup, "
            "delivered, attempt_failed, exception, returned_to_sender, cancelled, expired, "
            "unknown. The body is stored first and processed asynchronously; an event is stored "
            "once however often it is sent (by `event_id`, else by its content). Validation "
            "errors name the item and field, e.g. `[3].occurred_at`."),
        request={"application/json": generic.BODY_SCHEMA},
        responses={202: inline_serializer("TrackingEventReceipt", {
            "received": serializers.IntegerField(), "status": serializers.CharField(),
            "events": serializers.IntegerField()})},
        examples=[OpenApiExample("One event", request_only=True, value={
            "tracking_number": "1Z999AA10123456784", "carrier": "UPS", "status": "in_transit",
            "occurred_at": "2026-11-20T09:58:00+01:00", "message": "Departed facility",
            "location": {"city": "Köln", "country": "DE"}, "event_id": "scan-8812"})],
    )
    def post(self, request):
        # No parser runs here (the raw body is stored first), so the media type is checked
        # as the JSON parser would: anything else is a 415, never a stored body nobody can read.
        if request.content_type.partition(";")[0].strip().lower() != "application/json":
            raise UnsupportedMediaType(request.content_type)
        limit = settings.API_MAX_BODY_BYTES
        body = request._request.read(limit + 1)
        if len(body) > limit:
            raise PayloadTooLarge(f"The request body is larger than {limit} bytes.",
                                  details={"max_bytes": limit})
        inbound = inbound_store(
            self.tenant, source=services.GENERIC_SOURCE, body=body, headers={
                "content-type": request.content_type, "api-key": request.user.key.prefix},
            remote_addr=request.META.get("REMOTE_ADDR"))
        receipt = services.generic_events_receive(self.tenant, inbound)
        return Response({"received": inbound.pk, "status": receipt.status,
                         "events": receipt.details["events"]}, status=status.HTTP_202_ACCEPTED)
