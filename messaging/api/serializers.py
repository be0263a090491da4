"""Messages, journeys (with their rules) and templates (with their versions) as the API reads
and writes them. Input serializers are strict; cross-field rules (trigger, template channel,
quiet hours, conditions) are the services' and come back in the same error shape."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api.serializers import LocalTimeField, OutputModelSerializer, StrictSerializer

from ..journeys.triggers import TRIGGER_CHOICES
from ..models import Channel, Journey, JourneyRule, Message, MessageEvent, Template, TemplateVersion

LOCALES = [code for code, _ in settings.LANGUAGES]
MAX_RULES_PER_JOURNEY = 100

CONDITIONS_HELP = (
    "All optional, combined with AND: `customer` (any, first_time, repeat), `min_order_value` "
    'and `max_order_value` (decimal strings, e.g. "50.00"), `categories`, `tags`, `carriers`, '
    "`countries` (lists; any item matches, case-insensitively; countries as ISO codes), "
    "`marketing_consent` (true: also require marketing consent). Errors name the key, e.g. "
    "`conditions.min_order_value`.")


class NoFiltersSerializer(StrictSerializer):
    """For lists without filters: any query parameter but the cursor's is refused."""


# --- messages ----------------------------------------------------------------------------

class MessageFilterSerializer(StrictSerializer):
    order_number = serializers.CharField(required=False, help_text='e.g. "#1001".')
    shipment = serializers.IntegerField(required=False, min_value=1, source="shipment_id",
                                        help_text="A shipment's id.")
    milestone = serializers.ChoiceField(choices=TRIGGER_CHOICES, required=False)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    status = serializers.ChoiceField(choices=Message.Status.choices, required=False)
    recipient = serializers.CharField(required=False,
                                      help_text="E-mail address (any case) or E.164 number.")


class MessageEventSerializer(OutputModelSerializer):
    class Meta:
        model = MessageEvent
        fields = ["id", "kind", "occurred_at", "source", "provider_event_id", "data", "created_at"]
        read_only_fields = fields


class TemplateVersionRefSerializer(OutputModelSerializer):
    class Meta:
        model = TemplateVersion
        fields = ["id", "template_id", "number", "locale"]
        read_only_fields = fields


class MessageOrderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()


class MessageSerializer(OutputModelSerializer):
    order = MessageOrderSerializer(allow_null=True, read_only=True)
    template_version = TemplateVersionRefSerializer(allow_null=True, read_only=True)
    events = MessageEventSerializer(many=True, read_only=True,
                                    help_text="Provider callbacks, opens, clicks, resends; oldest "
                                              "first.")

    class Meta:
        model = Message
        fields = ["id", "status", "status_reason", "channel", "milestone", "recipient", "locale",
                  "order", "shipment_id", "customer_id", "rule_id", "template_version",
                  "subject", "preheader", "html_body", "text_body", "includes_marketing",
                  "provider", "provider_message_id", "attempts", "due_at", "sent_at",
                  "delivered_at", "opened_at", "clicked_at", "events", "created_at",
                  "updated_at"]
        read_only_fields = fields
        extra_kwargs = {
            "html_body": {"help_text": "The rendered HTML part (e-mail); blank until sent."},
            "text_body": {"help_text": "The plain-text part, or the SMS body."},
        }


class MessageResendInputSerializer(StrictSerializer):
    confirmed_not_received = serializers.BooleanField(
        default=False, help_text="Required (true) for an `uncertain` message: you checked that "
                                 "the shopper did not get it. Recorded with your key.")


# --- journeys ----------------------------------------------------------------------------

class JourneyRuleSerializer(OutputModelSerializer):
    template = serializers.IntegerField(source="template_id", read_only=True)
    template_key = serializers.CharField(source="template.key", read_only=True)
    quiet_hours_start = LocalTimeField(read_only=True, allow_null=True)
    quiet_hours_end = LocalTimeField(read_only=True, allow_null=True)

    class Meta:
        model = JourneyRule
        fields = ["id", "name", "trigger", "channel", "template", "template_key",
                  "delay_minutes", "conditions", "quiet_hours_start", "quiet_hours_end",
                  "enabled", "holdout_percent", "position", "created_at", "updated_at"]
        read_only_fields = fields


class JourneyRuleInputSerializer(StrictSerializer):
    name = serializers.CharField(max_length=120)
    trigger = serializers.ChoiceField(choices=TRIGGER_CHOICES,
                                      help_text="The milestone that starts the rule.")
    channel = serializers.ChoiceField(choices=Channel.choices)
    template = serializers.IntegerField(min_value=1, source="template_id",
                                        help_text="A template of the same channel.")
    delay_minutes = serializers.IntegerField(min_value=0, default=0,
                                             help_text="Wait after the milestone, e.g. 4320 "
                                                       "(three days) for a review request.")
    conditions = serializers.DictField(required=False, help_text=CONDITIONS_HELP)
    quiet_hours_start = LocalTimeField(
        required=False, allow_null=True,
        help_text="Local time in the shopper's timezone when sending pauses; both ends or "
                  "neither. Left out on an SMS rule: 21:00–08:00. null: no quiet hours.")
    quiet_hours_end = LocalTimeField(required=False, allow_null=True)
    enabled = serializers.BooleanField(default=True)
    holdout_percent = serializers.IntegerField(
        min_value=0, max_value=50, default=0,
        help_text="Percent of shoppers (chosen by a stable hash) who do not get this rule's "
                  "messages, so Analytics can measure what the messages earn. Review "
                  "requests, upsell and replenish rules only; status messages always go.")


class JourneyRulePatchSerializer(JourneyRuleInputSerializer):
    """The same fields, all optional, no defaults: what is left out keeps its value."""

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            field.required = False
            field.default = serializers.empty
        return fields


class JourneySerializer(OutputModelSerializer):
    rules = JourneyRuleSerializer(many=True, read_only=True)

    class Meta:
        model = Journey
        fields = ["id", "name", "enabled", "is_default", "rules", "created_at", "updated_at"]
        read_only_fields = fields


class JourneyInputSerializer(StrictSerializer):
    name = serializers.CharField(max_length=120)
    enabled = serializers.BooleanField(default=True)
    rules = JourneyRuleInputSerializer(many=True, required=False,
                                       max_length=MAX_RULES_PER_JOURNEY,
                                       help_text="Created in this order.")


class JourneyPatchSerializer(StrictSerializer):
    name = serializers.CharField(max_length=120, required=False)
    enabled = serializers.BooleanField(required=False)


# --- templates ---------------------------------------------------------------------------

class TemplateFilterSerializer(StrictSerializer):
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    key = serializers.CharField(required=False)


class TemplateVersionSerializer(OutputModelSerializer):
    created_by = serializers.SerializerMethodField()

    class Meta:
        model = TemplateVersion
        fields = ["id", "template_id", "locale", "number", "subject", "preheader", "body",
                  "text_body", "restored_from", "created_by", "created_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_created_by(self, version) -> str | None:
        """Who saved it from the dashboard (an e-mail address); null for API saves."""
        user = version.created_by if version.created_by_id else None
        return user.email if user else None


class TemplateSerializer(OutputModelSerializer):
    current_versions = serializers.SerializerMethodField()

    class Meta:
        model = Template
        fields = ["id", "key", "name", "channel", "has_marketing_content", "current_versions",
                  "created_at", "updated_at"]
        read_only_fields = fields

    @extend_schema_field(TemplateVersionSerializer(many=True))
    def get_current_versions(self, template) -> list:
        """The newest version in each locale (from `selectors.template_list`)."""
        return TemplateVersionSerializer(getattr(template, "current_versions", []),
                                         many=True).data


class TemplateInputSerializer(StrictSerializer):
    key = serializers.SlugField(max_length=80, help_text='Stable name for scripts, e.g. '
                                                         '"shipped-email".')
    name = serializers.CharField(max_length=120)
    channel = serializers.ChoiceField(choices=Channel.choices)
    has_marketing_content = serializers.BooleanField(
        default=False, help_text="Carries promotional blocks: only shoppers with marketing "
                                 "consent get them, and e-mails carry List-Unsubscribe.")


class TemplatePatchSerializer(StrictSerializer):
    name = serializers.CharField(max_length=120, required=False)
    has_marketing_content = serializers.BooleanField(required=False)


def _locale_field(**kwargs) -> serializers.CharField:
    # A plain string in the schema: the tenant's `default_locale` already names this choice
    # set (DefaultLocaleEnum), and one enum under two names is a schema warning.
    return serializers.CharField(max_length=10, help_text=f"One of {', '.join(LOCALES)}.",
                                 **kwargs)


class LocaleMixin:
    def validate_locale(self, value: str) -> str:
        if value not in LOCALES:
            raise serializers.ValidationError(f"Use one of {', '.join(LOCALES)}.")
        return value


class TemplateVersionFilterSerializer(LocaleMixin, StrictSerializer):
    locale = _locale_field(required=False)


class TemplateVersionInputSerializer(LocaleMixin, StrictSerializer):
    locale = _locale_field()
    subject = serializers.CharField(max_length=300, required=False, allow_blank=True, default="",
                                    help_text="E-mail only; Jinja2.")
    preheader = serializers.CharField(max_length=300, required=False, allow_blank=True,
                                      default="", help_text="E-mail only; Jinja2.")
    body = serializers.CharField(help_text="E-mail: MJML with Jinja2; SMS: text with Jinja2.",
                                 trim_whitespace=False)
    text_body = serializers.CharField(required=False, allow_blank=True, default="",
                                      trim_whitespace=False,
                                      help_text="E-mail plain-text part; blank: generated.")
