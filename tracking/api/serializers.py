"""Shipments and tracking events as the API reads and writes them."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api.serializers import OutputModelSerializer, StrictSerializer
from orders.api.serializers import OrderEventSerializer, OrderSerializer

from ..models import Shipment, ShipmentItem, TrackingEvent
from ..selectors import tracking_page_url
from ..statuses import TrackingStatus

MAX_ITEMS_PER_SHIPMENT = 500


# --- input -----------------------------------------------------------------------------

class ShipmentItemInputSerializer(StrictSerializer):
    line = serializers.IntegerField(required=False, min_value=1,
                                    help_text="The line's position in the order: 1, 2, 3…")
    sku = serializers.CharField(required=False, max_length=100,
                                help_text="Or the line's SKU (the first line with it).")
    quantity = serializers.IntegerField(min_value=1, default=1)

    def validate(self, attrs: dict) -> dict:
        if ("line" in attrs) == ("sku" in attrs):
            raise serializers.ValidationError("Name the order line by `line` or by `sku` (one).")
        return attrs


class ShipmentInputSerializer(StrictSerializer):
    carrier = serializers.CharField(max_length=32, help_text='e.g. "UPS", "DHL", "usps".')
    tracking_number = serializers.CharField(max_length=64)
    order_external_id = serializers.CharField(required=False, max_length=100,
                                              help_text="The order, by your id for it…")
    order_number = serializers.CharField(required=False, max_length=32,
                                         help_text='…or by its number, e.g. "#1001".')
    service = serializers.CharField(required=False, allow_blank=True, max_length=64,
                                    help_text='e.g. "Express Saver".')
    promised_delivery = serializers.DateField(required=False, allow_null=True,
                                              help_text="The date you promised the shopper.")
    items = ShipmentItemInputSerializer(many=True, required=False, max_length=MAX_ITEMS_PER_SHIPMENT,
                                        help_text="The order lines it carries; needs an order.")

    def validate_tracking_number(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("This field may not be blank.")
        return value.strip()

    def validate(self, attrs: dict) -> dict:
        if "order_external_id" in attrs and "order_number" in attrs:
            raise serializers.ValidationError(
                {"order_number": ["Name the order by order_external_id or by order_number, "
                                  "not both."]})
        if attrs.get("items") and not ("order_external_id" in attrs or "order_number" in attrs):
            raise serializers.ValidationError(
                {"items": ["Items are lines of an order; name the order too."]})
        return attrs


# --- list filters (query string) -------------------------------------------------------

class ShipmentFilterSerializer(StrictSerializer):
    status = serializers.ChoiceField(choices=TrackingStatus.choices, required=False)
    carrier = serializers.CharField(required=False, help_text="Any spelling: ups, UPS.")
    tracking_number = serializers.CharField(required=False)
    order_number = serializers.CharField(required=False)
    order_external_id = serializers.CharField(required=False)
    customer_email = serializers.CharField(required=False, help_text="Exact, case-insensitive.")
    delayed = serializers.BooleanField(required=False, allow_null=True, default=None)
    stalled = serializers.BooleanField(required=False, allow_null=True, default=None)
    created_after = serializers.DateTimeField(required=False, help_text="Created at or after.")
    created_before = serializers.DateTimeField(required=False, help_text="Created before.")


class TrackingEventFilterSerializer(StrictSerializer):
    tracking_number = serializers.CharField(required=False)
    shipment = serializers.IntegerField(required=False, min_value=1, source="shipment_id",
                                        help_text="A shipment's id.")
    status = serializers.ChoiceField(choices=TrackingStatus.choices, required=False)
    since = serializers.DateTimeField(required=False, help_text="Events that happened at or after.")


# --- output ----------------------------------------------------------------------------

class TrackingEventSerializer(OutputModelSerializer):
    class Meta:
        model = TrackingEvent
        fields = ["id", "shipment_id", "carrier", "tracking_number", "occurred_at", "status",
                  "message", "location", "exception_cause", "estimated_delivery", "source",
                  "source_code", "created_at"]
        read_only_fields = fields


class ShipmentItemSerializer(OutputModelSerializer):
    line = serializers.IntegerField(source="line_item.position", read_only=True)
    sku = serializers.CharField(source="line_item.sku", read_only=True)
    title = serializers.CharField(source="line_item.title", read_only=True)

    class Meta:
        model = ShipmentItem
        fields = ["line", "sku", "title", "quantity"]
        read_only_fields = fields


class ShipmentOrderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    external_id = serializers.CharField()
    number = serializers.CharField()


class ShipmentSerializer(OutputModelSerializer):
    """A shipment as `selectors.shipment_list` reads it (with its `tracking_domain`)."""

    order = ShipmentOrderSerializer(allow_null=True, read_only=True)
    items = ShipmentItemSerializer(many=True, read_only=True)
    is_return = serializers.BooleanField(
        read_only=True, help_text="A return's parcel on its way back to you (a prepaid return "
                                  "label): it has no order; the return names it.")
    tracking_url = serializers.SerializerMethodField(
        help_text="The shopper's tracking page for this parcel, on the store's custom tracking "
                  "domain when it has one: put it in your own messages.")

    class Meta:
        model = Shipment
        fields = ["id", "order", "carrier", "tracking_number", "service", "is_return", "status",
                  "exception_cause", "exception_message", "delayed", "stalled",
                  "carrier_estimated_delivery", "promised_delivery", "shipped_at", "delivered_at",
                  "last_event_at", "tracking_url", "items", "created_at", "updated_at"]
        read_only_fields = fields

    def get_tracking_url(self, shipment: Shipment) -> str:
        # `tracking_domain` is annotated by selectors.shipment_list, which every view reads with.
        return tracking_page_url(shipment.public_token,
                                 domain=shipment.tracking_domain)  # type: ignore[attr-defined]


class ShipmentDetailSerializer(ShipmentSerializer):
    events = TrackingEventSerializer(many=True, read_only=True)

    class Meta(ShipmentSerializer.Meta):
        fields = [*ShipmentSerializer.Meta.fields, "events"]
        read_only_fields = fields


class OrderDetailSerializer(OrderSerializer):
    """An order with everything that happened to it: lines, shipments with their events, and
    the timeline every app writes to. The shipments come in the context (`shipments`, from
    `selectors.shipments_for_order`), prefetched, rather than through the reverse relation."""

    shipments = serializers.SerializerMethodField()
    timeline = OrderEventSerializer(source="events", many=True, read_only=True)

    class Meta(OrderSerializer.Meta):
        fields = [*OrderSerializer.Meta.fields, "shipments", "timeline"]
        read_only_fields = fields

    @extend_schema_field(ShipmentDetailSerializer(many=True))
    def get_shipments(self, order) -> list:
        return ShipmentDetailSerializer(self.context["shipments"], many=True).data
