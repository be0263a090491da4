"""Tracking settings API: the tenant's thresholds for stalled and late shipments."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from config.api.serializers import StrictModelSerializer
from tenants.api.base import TenantApiView
from tenants.permissions import Perm

from . import silence
from .models import TrackingSettings

_HOURS = {"min_value": silence.HOURS_MIN, "max_value": silence.HOURS_MAX}


class TrackingSettingsSerializer(StrictModelSerializer):
    carrier_silence_hours = serializers.DictField(
        child=serializers.IntegerField(**_HOURS), required=False,
        help_text="Per-carrier limit for silence in transit, in business hours, e.g. "
                  '{"USPS": 96}. Carrier names are stored as carrier codes (upper case).')
    updated_at = serializers.DateTimeField(
        read_only=True, allow_null=True,
        help_text="When the thresholds last changed; null while they are the defaults.")

    class Meta:
        model = TrackingSettings
        fields = ["label_silence_hours", "transit_silence_hours", "carrier_silence_hours",
                  "pickup_wait_days", "detect_delays", "updated_at"]
        read_only_fields = ["updated_at"]
        extra_kwargs = {
            "label_silence_hours": {**_HOURS, "help_text": (
                "Business hours after the label is created without a carrier scan before the "
                "shipment is stalled. Saturdays and Sundays do not count.")},
            "transit_silence_hours": {**_HOURS, "help_text": (
                "Business hours in transit without a new scan before the shipment is stalled, "
                "for carriers without their own limit.")},
            "pickup_wait_days": {
                "min_value": silence.PICKUP_DAYS_MIN, "max_value": silence.PICKUP_DAYS_MAX,
                "help_text": "Business days at a pickup point, uncollected, before the "
                             "shipment is stalled."},
            "detect_delays": {"help_text": (
                "Mark shipments delayed when the promised (else the carrier's estimated) "
                "delivery date has passed.")},
        }

    def validate_carrier_silence_hours(self, value: dict) -> dict:
        try:
            return silence.carrier_silence_hours_clean(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None


class TrackingSettingsApi(TenantApiView):
    required_perms = {"GET": Perm.TENANT_VIEW, "PATCH": Perm.TENANT_MANAGE}

    @extend_schema(responses=TrackingSettingsSerializer,
                   summary="Thresholds for stalled and late shipments")
    def get(self, request):
        return Response(TrackingSettingsSerializer(silence.tracking_settings_get(self.tenant)).data)

    @extend_schema(request=TrackingSettingsSerializer, responses=TrackingSettingsSerializer,
                   summary="Change some thresholds for stalled and late shipments")
    def patch(self, request):
        current = silence.tracking_settings_get(self.tenant)
        serializer = TrackingSettingsSerializer(current, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        row = silence.tracking_settings_update(self.tenant, **serializer.validated_data)
        return Response(TrackingSettingsSerializer(row).data)
