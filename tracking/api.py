"""Tracking API: our generic event endpoint, for carriers we have no adapter for."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from config.errors import PayloadTooLarge
from tenants.api.base import TenantApiView
from tenants.permissions import Perm

from . import services


class TrackingEventBatchApi(TenantApiView):
    required_perms = {"POST": Perm.ORDERS_MANAGE}
    # The raw body is stored before it is parsed, so this view reads the stream itself.
    parser_classes: list = []

    @extend_schema(
        summary="Push tracking events (one object, or an array of up to 1,000)",
        description=(
            "Canonical statuses: pending, in_transit, out_for_delivery, available_for_pickup, "
            "delivered, attempt_failed, exception, returned_to_sender, cancelled, expired, "
            "unknown. The body is stored first and processed asynchronously; an event is stored "
            "once however often it is sent (by `event_id`, else by its content). Validation "
            "errors name the item and field, e.g. `[3].occurred_at`."),
        request={"application/json": inline_serializer("TrackingEventInput", {
            "tracking_number": serializers.CharField(),
            "carrier": serializers.CharField(),
            "status": serializers.CharField(),
            "occurred_at": serializers.DateTimeField(),
            "message": serializers.CharField(required=False),
            "location": serializers.JSONField(required=False),
            "event_id": serializers.CharField(required=False),
            "estimated_delivery": serializers.DateField(required=False),
            "exception_cause": serializers.CharField(required=False),
        })},
        responses={202: inline_serializer("TrackingEventReceipt", {
            "received": serializers.IntegerField(), "status": serializers.CharField(),
            "events": serializers.IntegerField()})},
        examples=[OpenApiExample("One event", request_only=True, value={
            "tracking_number": "1Z999AA10123456784", "carrier": "UPS", "status": "in_transit",
            "occurred_at": "2026-11-20T09:58:00+01:00", "message": "Departed facility",
            "location": {"city": "Köln", "country": "DE"}, "event_id": "scan-8812"})],
    )
    def post(self, request):
        limit = settings.API_MAX_BODY_BYTES
        body = request._request.read(limit + 1)
        if len(body) > limit:
            raise PayloadTooLarge(f"The request body is larger than {limit} bytes.",
                                  details={"max_bytes": limit})
        inbound = services.inbound_store(
            self.tenant, source=services.GENERIC_SOURCE, body=body, headers={
                "content-type": request.content_type, "api-key": request.user.key.prefix},
            remote_addr=request.META.get("REMOTE_ADDR"))
        receipt = services.generic_events_receive(self.tenant, inbound)
        return Response({"received": inbound.pk, "status": receipt.status,
                         "events": receipt.details["events"]}, status=status.HTTP_202_ACCEPTED)
