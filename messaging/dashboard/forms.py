"""Forms of the messaging dashboard. They shape input for the services; the services check
it (trigger, template channel, quiet hours, conditions) and their errors land on these fields
through `field_for_error`."""

from __future__ import annotations

from django import forms
from django.conf import settings

from ..journeys import template_key
from ..journeys.triggers import TRIGGER_CHOICES
from ..models import Channel, JourneyRule, Message, Template

CUSTOMER_CHOICES = [("any", "Any customer"), ("first_time", "First-time customers"),
                    ("repeat", "Repeat customers")]
DELAY_UNITS = [("minutes", "minutes"), ("hours", "hours"), ("days", "days")]
UNIT_MINUTES = {"minutes": 1, "hours": 60, "days": 60 * 24}
LIST_CONDITIONS = ("categories", "tags", "carriers", "countries")


def _words(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def field_for_error(key: str) -> str:
    """A service's error key → this form's field: `conditions.customer` → `customer`,
    `template` → `template`."""
    return key.removeprefix("conditions.")


class TemplateSelect(forms.Select):
    """Templates grouped by channel, each option marked with its channel and key, so the page
    can offer only the templates of the channel chosen and start on the one made for the
    trigger chosen (static/js/rule-form.js)."""

    def __init__(self, attrs=None, choices=()):
        super().__init__(attrs, choices)
        self.templates: dict[int, Template] = {}  # set by RuleForm

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if template := self.templates.get(value):
            option["attrs"].update({"data-channel": template.channel, "data-key": template.key})
        return option


class RuleForm(forms.Form):
    name = forms.CharField(max_length=120)
    trigger = forms.ChoiceField(choices=TRIGGER_CHOICES, label="When")
    channel = forms.ChoiceField(choices=Channel.choices, label="Send by",
                                widget=forms.Select(attrs={"data-channel-select": ""}))
    template = forms.TypedChoiceField(coerce=int, label="Template", widget=TemplateSelect)
    delay = forms.IntegerField(min_value=0, initial=0, label="Wait",
                               widget=forms.NumberInput(attrs={"class": "input-narrow"}))
    delay_unit = forms.ChoiceField(choices=DELAY_UNITS, initial="minutes", label="Unit")
    quiet_hours_start = forms.TimeField(
        required=False, label="Quiet from", widget=forms.TimeInput(attrs={"type": "time"},
                                                                     format="%H:%M"))
    quiet_hours_end = forms.TimeField(
        required=False, label="Quiet until", widget=forms.TimeInput(attrs={"type": "time"},
                                                                      format="%H:%M"),
        help_text="In the shopper's time zone; the send waits. Both or neither. A new SMS rule "
                  "left blank gets 21:00–08:00.")
    customer = forms.ChoiceField(choices=CUSTOMER_CHOICES, required=False, label="Customers")
    min_order_value = forms.DecimalField(required=False, min_value=0, decimal_places=2,
                                         label="Order value from")
    max_order_value = forms.DecimalField(required=False, min_value=0, decimal_places=2,
                                         label="Order value up to")
    categories = forms.CharField(required=False, help_text="Comma-separated, e.g. tents, stoves.")
    tags = forms.CharField(required=False, help_text="Comma-separated.")
    carriers = forms.CharField(required=False, help_text="Comma-separated, e.g. DHL, UPS.")
    countries = forms.CharField(required=False, label="Destination countries",
                                help_text="Two-letter codes, comma-separated, e.g. DE, AT.")
    marketing_consent = forms.BooleanField(required=False,
                                           label="Only shoppers with marketing consent")
    enabled = forms.BooleanField(required=False, initial=True, label="On")

    def __init__(self, *args, templates: list[Template], **kwargs):
        super().__init__(*args, **kwargs)
        # Names only: the group says the channel (default names already end in "(SMS)").
        self.fields["template"].choices = [
            (f"{label} templates", group) for channel, label in Channel.choices
            if (group := [(t.pk, t.name) for t in templates if t.channel == channel])]
        self.fields["template"].widget.templates = {t.pk: t for t in templates}
        # A new rule starts on the template made for its trigger and channel, else on the
        # first of that channel.
        trigger = self.initial.setdefault("trigger", TRIGGER_CHOICES[0][0])
        channel = self.initial.setdefault("channel", Channel.EMAIL)
        fitting = sorted((t for t in templates if t.channel == channel),
                         key=lambda t: t.key != template_key(trigger, channel))
        self.initial.setdefault("template", fitting[0].pk if fitting else None)

    @classmethod
    def initial_for(cls, rule: JourneyRule) -> dict:
        minutes, unit = rule.delay_minutes, "minutes"
        for name in ("days", "hours"):
            if minutes and minutes % UNIT_MINUTES[name] == 0:
                minutes, unit = minutes // UNIT_MINUTES[name], name
                break
        conditions = rule.conditions or {}
        return {
            "name": rule.name, "trigger": rule.trigger, "channel": rule.channel,
            "template": rule.template_id, "delay": minutes, "delay_unit": unit,
            "quiet_hours_start": rule.quiet_hours_start, "quiet_hours_end": rule.quiet_hours_end,
            "customer": conditions.get("customer", "any"),
            "min_order_value": conditions.get("min_order_value"),
            "max_order_value": conditions.get("max_order_value"),
            **{key: ", ".join(conditions.get(key, [])) for key in LIST_CONDITIONS},
            "marketing_consent": bool(conditions.get("marketing_consent")),
            "enabled": rule.enabled,
        }

    def rule_values(self) -> dict:
        """Cleaned data → the keywords of `journey_rule_create` / `journey_rule_update`."""
        data = self.cleaned_data
        conditions: dict = {}
        if data["customer"] and data["customer"] != "any":
            conditions["customer"] = data["customer"]
        for key in ("min_order_value", "max_order_value"):
            if data[key] is not None:
                conditions[key] = f"{data[key]:.2f}"
        for key in LIST_CONDITIONS:
            if words := _words(data[key]):
                conditions[key] = words
        if data["marketing_consent"]:
            conditions["marketing_consent"] = True
        return {
            "name": data["name"], "trigger": data["trigger"], "channel": data["channel"],
            "template_id": data["template"],
            "delay_minutes": data["delay"] * UNIT_MINUTES[data["delay_unit"]],
            "conditions": conditions, "quiet_hours_start": data["quiet_hours_start"],
            "quiet_hours_end": data["quiet_hours_end"], "enabled": data["enabled"],
        }


class TemplateDraftForm(forms.Form):
    """What the editor posts for a preview, a save or a test send."""

    locale = forms.ChoiceField(choices=settings.LANGUAGES, widget=forms.HiddenInput)
    subject = forms.CharField(max_length=300, required=False)
    preheader = forms.CharField(max_length=300, required=False,
                                help_text="The grey line inboxes show after the subject.")
    body = forms.CharField(strip=False, widget=forms.Textarea(
        attrs={"rows": 18, "class": "code", "spellcheck": "false"}))
    text_body = forms.CharField(
        required=False, strip=False, label="Plain-text part",
        widget=forms.Textarea(attrs={"rows": 5, "class": "code", "spellcheck": "false"}),
        help_text="Leave blank to generate it from the HTML.")

    def __init__(self, *args, channel: str, **kwargs):
        super().__init__(*args, **kwargs)
        if channel == Channel.SMS:
            for name in ("subject", "preheader", "text_body"):
                del self.fields[name]
            self.fields["body"].label = "Text"
            self.fields["body"].widget.attrs["rows"] = 6
        else:
            self.fields["subject"].required = True  # an e-mail without one is refused on save

    def draft(self) -> dict:
        data = self.cleaned_data
        return {"subject": data.get("subject", ""), "preheader": data.get("preheader", ""),
                "body": data["body"], "text_body": data.get("text_body", "")}


class PreviewSourceForm(forms.Form):
    """Which data the preview renders with: sample data, or one of the store's real orders."""

    milestone = forms.ChoiceField(choices=TRIGGER_CHOICES, required=False)
    order = forms.TypedChoiceField(coerce=int, required=False, empty_value=None,
                                   label="Preview with")

    def __init__(self, *args, orders: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["order"].choices = [("", "Sample data"), *(
            (o.pk, f"Order {o.number}" + (f" · {o.customer.email}" if o.customer_id and
                                            o.customer.email else ""))
            for o in orders)]


class MessageFilter(forms.Form):
    q = forms.CharField(required=False, label="Recipient or order", max_length=254,
                        widget=forms.TextInput(attrs={"type": "search",
                                                      "placeholder": "E-mail, phone or #1001"}))
    status = forms.ChoiceField(required=False, choices=[("", "Any status"),
                                                        *Message.Status.choices])
    channel = forms.ChoiceField(required=False, choices=[("", "Any channel"), *Channel.choices])
    milestone = forms.ChoiceField(required=False, choices=[("", "Any milestone"),
                                                           *TRIGGER_CHOICES])


class ResendForm(forms.Form):
    confirmed_not_received = forms.BooleanField(
        required=False, label="I checked: the shopper did not receive it. Send it again.")
