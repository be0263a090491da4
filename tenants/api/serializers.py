from __future__ import annotations

import re

from rest_framework import serializers

from config.api.serializers import OutputModelSerializer, StrictModelSerializer, StrictSerializer
from tenants.credentials import CREDENTIAL_SPECS
from tenants.models import Brand, Tenant

DOMAIN_RE = re.compile(r"^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class TenantSerializer(OutputModelSerializer):
    class Meta:
        model = Tenant
        fields = ["slug", "name", "timezone", "default_locale", "status", "require_two_factor",
                  "created_at"]
        read_only_fields = fields


class BrandSerializer(StrictModelSerializer):
    logo_url = serializers.SerializerMethodField()
    social_links = serializers.DictField(child=serializers.URLField(), required=False)

    class Meta:
        model = Brand
        fields = ["logo_url", "primary_color", "accent_color", "font", "sender_name",
                  "sender_email", "reply_to", "sms_sender", "footer_text", "legal_text",
                  "social_links", "support_email", "support_phone", "help_url",
                  "custom_tracking_domain", "updated_at"]
        read_only_fields = ["logo_url", "updated_at"]
        extra_kwargs = {"custom_tracking_domain": {"allow_null": True, "allow_blank": True}}

    def get_logo_url(self, brand: Brand) -> str | None:
        if not brand.logo:
            return None
        request = self.context.get("request")
        return request.build_absolute_uri(brand.logo.url) if request else brand.logo.url

    def validate_social_links(self, value: dict) -> dict:
        unknown = sorted(set(value) - set(Brand.SOCIAL_NETWORKS))
        if unknown:
            raise serializers.ValidationError(
                f"Unknown network(s) {', '.join(unknown)}; use {', '.join(Brand.SOCIAL_NETWORKS)}.")
        return value

    def validate_custom_tracking_domain(self, value: str | None) -> str | None:
        if not value:
            return None
        value = value.strip().lower().rstrip(".")
        if not DOMAIN_RE.match(value):
            raise serializers.ValidationError("Use a host name such as track.example.com.")
        return value


class CredentialFieldStateSerializer(serializers.Serializer):
    set = serializers.BooleanField(help_text="Whether a value is stored.")
    value = serializers.CharField(allow_null=True,
                                  help_text="Masked for secrets (last 4 characters), full otherwise.")


class CredentialSerializer(serializers.Serializer):
    name = serializers.ChoiceField(choices=sorted(CREDENTIAL_SPECS))
    configured = serializers.BooleanField()
    updated_at = serializers.DateTimeField(allow_null=True)
    fields = serializers.DictField(child=CredentialFieldStateSerializer())


class CredentialInputSerializer(StrictSerializer):
    """Documentation of the body only: a JSON object of the provider's fields (validated by
    `tenants.credentials.credential_validate`, which names each bad field)."""

    api_key = serializers.CharField(required=False, help_text="sendgrid")
    webhook_public_key = serializers.CharField(required=False, help_text="sendgrid")
    account_sid = serializers.CharField(required=False, help_text="twilio")
    auth_token = serializers.CharField(required=False, help_text="twilio")
    messaging_service_sid = serializers.CharField(required=False, help_text="twilio")
    from_number = serializers.CharField(required=False, help_text="twilio")
    webhook_secret = serializers.CharField(required=False, help_text="easypost, aftership, shopify")
    webhook_token = serializers.CharField(required=False, help_text="shippo")
    shop_domain = serializers.CharField(required=False, help_text="shopify")
    previous_webhook_secret = serializers.CharField(required=False, help_text="shopify")
