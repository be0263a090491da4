"""Dashboard forms. They check shape and give friendly messages; the services decide the
rules (who may give which role, what a valid credential is) and their errors are put back
on these forms next to the field they name (`views.base.add_error_to_form`)."""

from __future__ import annotations

import re
import zoneinfo
from functools import lru_cache

from django import forms
from django.conf import settings
from django.core.validators import RegexValidator
from django.template.defaultfilters import filesizeformat

from .credentials import CREDENTIAL_SPECS, FieldSpec
from .models import Brand, Tenant, dialable_phone, hex_colour
from .permissions import ASSIGNABLE_ROLES, ApiKeyScope, Role

SOCIAL_LABELS = {
    "instagram": "Instagram", "facebook": "Facebook", "x": "X (Twitter)", "tiktok": "TikTok",
    "youtube": "YouTube", "pinterest": "Pinterest", "linkedin": "LinkedIn",
}
LOGO_FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}
DOMAIN_RE = re.compile(r"^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


@lru_cache(maxsize=1)
def timezone_choices() -> list[tuple[str, str]]:
    names = sorted(n for n in zoneinfo.available_timezones() if "/" in n or n == "UTC")
    return [(n, n.replace("_", " ")) for n in names]


class StoreCreateForm(forms.Form):
    name = forms.CharField(
        label="Store name", max_length=120,
        help_text="Your shop's name as shoppers know it. You can change it later.",
        widget=forms.TextInput(attrs={"autocomplete": "organization", "placeholder": "Acme Outdoor"}),
    )


class TenantSettingsForm(forms.Form):
    name = forms.CharField(label="Store name", max_length=120)
    timezone = forms.ChoiceField(
        label="Time zone", choices=timezone_choices,
        help_text="Quiet hours, delivery dates and reports use this time zone.")
    default_locale = forms.ChoiceField(
        label="Default language", choices=settings.LANGUAGES,
        help_text="Shoppers see messages and pages in this language unless we know theirs.")
    require_two_factor = forms.BooleanField(
        label="Require two-factor authentication for all members", required=False,
        help_text="Everyone on the team must set up an authenticator app before they can use "
                  "the dashboard; members without one are asked to set it up at once.")

    @classmethod
    def for_tenant(cls, tenant: Tenant, data=None) -> TenantSettingsForm:
        return cls(data, initial={
            "name": tenant.name, "timezone": tenant.timezone,
            "default_locale": tenant.default_locale,
            "require_two_factor": tenant.require_two_factor,
        })

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the store a name.")
        return name


class ColourInput(forms.TextInput):
    input_type = "color"


class BrandForm(forms.Form):
    logo = forms.FileField(
        label="Logo", required=False,
        help_text=(f"PNG, JPEG or WebP, up to {filesizeformat(settings.MAX_LOGO_BYTES)}. "
                   "A wide logo on a transparent background looks best."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
    )
    remove_logo = forms.BooleanField(label="Remove the current logo", required=False)
    primary_color = forms.CharField(label="Primary colour", validators=[hex_colour],
                                    widget=ColourInput(), help_text="Buttons, links and headers.")
    accent_color = forms.CharField(label="Accent colour", validators=[hex_colour],
                                   widget=ColourInput(), help_text="Highlights and progress.")
    font = forms.ChoiceField(label="Font", choices=Brand.Font.choices)
    sender_name = forms.CharField(label="Sender name", max_length=100, required=False,
                                  help_text="Shown as the sender of every e-mail.")
    sender_email = forms.EmailField(label="Sender e-mail", required=False,
                                    help_text="Must be a sender verified with your e-mail provider.")
    reply_to = forms.EmailField(label="Reply-to address", required=False,
                                help_text="Where shoppers' replies go, e.g. your support inbox.")
    sms_sender = forms.CharField(
        label="SMS sender", max_length=16, required=False,
        validators=[RegexValidator(
            r"^(\+[1-9]\d{6,14}|[A-Za-z0-9 ]{1,11})$",
            "Use a phone number in E.164 form (+4915112345678) or up to 11 letters and digits.")],
        help_text="A phone number (+14155550100) or a name of up to 11 letters where allowed.")
    footer_text = forms.CharField(label="Footer text", required=False, max_length=2000,
                                  widget=forms.Textarea(attrs={"rows": 3}),
                                  help_text="Shown at the bottom of every e-mail and page.")
    legal_text = forms.CharField(label="Legal text", required=False, max_length=4000,
                                 widget=forms.Textarea(attrs={"rows": 3}),
                                 help_text="Company address, registration number, etc.")
    support_email = forms.EmailField(
        label="Support e-mail", required=False,
        help_text="Where shoppers write with a question; shown on the tracking page.")
    support_phone = forms.CharField(
        label="Support phone", required=False, max_length=32,
        validators=[dialable_phone],
        widget=forms.TextInput(attrs={"type": "tel", "placeholder": "+49 30 1234567"}),
        help_text="Shown on the tracking page; tap to call on a phone.")
    help_url = forms.URLField(
        label="Help page", required=False, max_length=500, assume_scheme="https",
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/help"}),
        help_text="Your FAQ or help centre; the tracking page links to it.")
    custom_tracking_domain = forms.CharField(
        label="Custom tracking domain", required=False, max_length=253,
        widget=forms.TextInput(attrs={"placeholder": "track.example.com", "spellcheck": "false"}),
        help_text="Point a CNAME at us, then enter the domain here.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for network in Brand.SOCIAL_NETWORKS:
            self.fields[f"social_{network}"] = forms.URLField(
                label=SOCIAL_LABELS.get(network, network.title()), required=False,
                assume_scheme="https",
                widget=forms.URLInput(attrs={"placeholder": f"{network}.com/yourstore"}))

    @classmethod
    def for_brand(cls, brand: Brand, data=None, files=None) -> BrandForm:
        initial = {name: getattr(brand, name) for name in (
            "primary_color", "accent_color", "font", "sender_name", "sender_email", "reply_to",
            "sms_sender", "footer_text", "legal_text", "support_email", "support_phone",
            "help_url")}
        initial["custom_tracking_domain"] = brand.custom_tracking_domain or ""
        for network, url in (brand.social_links or {}).items():
            initial[f"social_{network}"] = url
        return cls(data, files, initial=initial)

    @property
    def social_fields(self):
        return [self[f"social_{network}"] for network in Brand.SOCIAL_NETWORKS]

    def clean_primary_color(self) -> str:
        return self.cleaned_data["primary_color"].upper()

    def clean_accent_color(self) -> str:
        return self.cleaned_data["accent_color"].upper()

    def clean_custom_tracking_domain(self) -> str:
        domain = self.cleaned_data["custom_tracking_domain"].strip().lower()
        domain = re.sub(r"^https?://", "", domain).rstrip("/")
        if domain and not DOMAIN_RE.match(domain):
            raise forms.ValidationError("Enter a domain name like track.example.com.")
        return domain

    def clean_logo(self):
        logo = self.cleaned_data.get("logo")
        if not logo:
            return None
        if logo.size > settings.MAX_LOGO_BYTES:
            raise forms.ValidationError(
                f"This file is {filesizeformat(logo.size)}; logos can be at most "
                f"{filesizeformat(settings.MAX_LOGO_BYTES)}.")
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(logo) as image:
                image.verify()  # reads the whole file: catches truncated or forged images
                kind = image.format
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise forms.ValidationError("This file is not an image we can read.") from None
        finally:
            logo.seek(0)
        if kind not in LOGO_FORMATS:
            raise forms.ValidationError(f"Use a PNG, JPEG or WebP image (this one is {kind}).")
        logo.logo_extension = LOGO_FORMATS[kind]
        return logo

    def service_fields(self) -> dict:
        """The fields `services.brand_update` takes (the logo is handled by the view)."""
        data = self.cleaned_data
        fields = {name: data[name] for name in (
            "primary_color", "accent_color", "font", "sender_name", "sender_email", "reply_to",
            "sms_sender", "footer_text", "legal_text", "support_email", "support_phone",
            "help_url", "custom_tracking_domain")}
        fields["social_links"] = {
            network: data[f"social_{network}"]
            for network in Brand.SOCIAL_NETWORKS if data.get(f"social_{network}")
        }
        return fields


def _assignable(actor_role: str) -> list[tuple[str, str]]:
    allowed = ASSIGNABLE_ROLES.get(actor_role, ())
    return [(value, label) for value, label in Role.choices if value in allowed]


class InviteForm(forms.Form):
    email = forms.EmailField(label="E-mail address",
                             widget=forms.EmailInput(attrs={"placeholder": "name@yourstore.com"}))
    role = forms.ChoiceField(label="Role")

    def __init__(self, *args, actor_role: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = _assignable(actor_role)
        self.fields["role"].initial = Role.AGENT


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=Role.choices)


class ApiKeyCreateForm(forms.Form):
    name = forms.CharField(
        label="Name", max_length=100,
        widget=forms.TextInput(attrs={"placeholder": "e.g. ERP sync, Warehouse"}),
        help_text="Name the key after what will use it, so you know what breaks if you revoke it.")
    scope = forms.ChoiceField(label="Access", choices=ApiKeyScope.choices,
                              initial=ApiKeyScope.READ_WRITE)


class CredentialForm(forms.Form):
    """One provider's fields. Secrets are never sent back to the browser: their inputs start
    empty, and an empty secret means "keep the stored one" (`credential_set(merge=True)`)."""

    def __init__(self, provider: str, public: dict[str, dict] | None, *args, **kwargs):
        super().__init__(*args, prefix=provider, **kwargs)
        self.provider = provider
        self.specs: tuple[FieldSpec, ...] = CREDENTIAL_SPECS[provider]
        public = public or {}
        for spec in self.specs:
            current = public.get(spec.name) or {}
            is_set = bool(current.get("set"))
            # Required fields stay optional here once set: blank keeps the stored value.
            required = spec.required and not is_set
            if spec.secret:
                placeholder = (f"{current['value']} (leave blank to keep)" if is_set
                               else "Paste the value")
                widget = forms.PasswordInput(render_value=False, attrs={
                    "placeholder": placeholder, "autocomplete": "off", "spellcheck": "false"})
            else:
                widget = forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"})
            self.fields[spec.name] = forms.CharField(
                label=spec.label, required=required, help_text=spec.help, widget=widget,
                initial=None if spec.secret else current.get("value"), strip=True)
            self.fields[spec.name].is_secret = spec.secret
            self.fields[spec.name].is_set = is_set
