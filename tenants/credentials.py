"""Tenant provider secrets: which fields each provider has, how they are checked, and how they
are encrypted at rest (Fernet; several keys, the newest encrypts, all decrypt)."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key, load_pem_public_key
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from config.errors import ValidationFailed


def _pattern(regex: str, message: str) -> Callable[[str], str | None]:
    compiled = re.compile(regex)
    return lambda value: None if compiled.fullmatch(value) else message


def _ec_public_key(value: str) -> str | None:
    """SendGrid shows its verification key as base64 DER (SPKI); PEM is accepted too."""
    try:
        if "BEGIN PUBLIC KEY" in value:
            key = load_pem_public_key(value.encode())
        else:
            key = load_der_public_key(base64.b64decode(value, validate=True))
    except (ValueError, binascii.Error, TypeError):
        return "Paste the verification key exactly as SendGrid shows it (base64)."
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        return "SendGrid verification keys are ECDSA P-256 keys; this is a different kind of key."
    return None


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    secret: bool = True
    required: bool = True
    check: Callable[[str], str | None] | None = None
    help: str = ""


E164 = _pattern(r"\+[1-9]\d{6,14}", "Use E.164 form, e.g. +14155550100.")

CREDENTIAL_SPECS: dict[str, tuple[FieldSpec, ...]] = {
    "sendgrid": (
        FieldSpec("api_key", "API key", check=_pattern(r"SG\.[\w-]{10,}\.[\w-]{10,}",
                  "SendGrid API keys look like SG.xxxx.yyyy."),
                  help="Settings → API Keys, with Mail Send permission."),
        FieldSpec("webhook_public_key", "Event webhook verification key", secret=False,
                  required=False, check=_ec_public_key,
                  help="Mail Settings → Event Webhook → Signature verification."),
    ),
    "twilio": (
        FieldSpec("account_sid", "Account SID", secret=False,
                  check=_pattern(r"AC[0-9a-fA-F]{32}",
                                 "Account SIDs are AC followed by 32 hex digits.")),
        FieldSpec("auth_token", "Auth token",
                  check=_pattern(r"[0-9a-fA-F]{32}", "Auth tokens are 32 hex digits.")),
        FieldSpec("messaging_service_sid", "Messaging Service SID", secret=False, required=False,
                  check=_pattern(r"MG[0-9a-fA-F]{32}",
                                 "Messaging Service SIDs are MG followed by 32 hex digits."),
                  help="Preferred: lets Twilio pick the sender. Give this or a from number."),
        FieldSpec("from_number", "From number", secret=False, required=False, check=E164),
    ),
    "easypost": (
        FieldSpec("webhook_secret", "Webhook secret", required=False,
                  help="Tracking updates: the secret of the webhook you added in EasyPost."),
        FieldSpec("api_key", "API key", required=False,
                  check=_pattern(r"EZ[AT]K[0-9a-zA-Z]{16,}",
                                 "EasyPost API keys start with EZAK (production) or EZTK (test)."),
                  help="Prepaid return labels: bought with this key (returns). Without it, "
                       "shoppers send returns themselves with a printable authorisation."),
    ),
    "aftership": (FieldSpec("webhook_secret", "Webhook secret"),),
    "shippo": (FieldSpec("webhook_token", "Webhook token",
                         help="Shippo signs nothing: we add this token to the webhook URL."),),
    "shopify": (
        FieldSpec("shop_domain", "Shop domain", secret=False,
                  check=_pattern(r"[a-z0-9][a-z0-9-]*\.myshopify\.com",
                                 "Use the shop's myshopify.com domain, e.g. acme.myshopify.com.")),
        FieldSpec("webhook_secret", "Webhook signing secret"),
        FieldSpec("previous_webhook_secret", "Previous webhook secret", required=False,
                  help="Keep the old secret here while Shopify rotates to the new one."),
    ),
}

MAX_FIELD_LENGTH = 2000


def credential_validate(name: str, fields: object) -> dict[str, str]:
    """Return the cleaned fields or raise ValidationFailed naming each bad field."""
    spec = CREDENTIAL_SPECS.get(name)
    if spec is None:
        raise ValidationFailed(f"Unknown credential {name!r}.", code="unknown_credential",
                               details={"known": sorted(CREDENTIAL_SPECS)})
    if not isinstance(fields, dict):
        raise ValidationFailed("Send a JSON object of fields.",
                               details={"non_field_errors": ["Expected a JSON object."]})
    known = {f.name: f for f in spec}
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, str] = {}
    for key, value in fields.items():
        field = known.get(key)
        if field is None:
            errors[key] = [f"Unknown field for {name}; expected one of: {', '.join(known)}."]
        elif value is None or value == "":
            continue
        elif not isinstance(value, str):
            errors[key] = ["Must be a string."]
        elif len(value) > MAX_FIELD_LENGTH:
            errors[key] = [f"At most {MAX_FIELD_LENGTH} characters."]
        else:
            value = value.strip()
            problem = field.check(value) if field.check else None
            if problem:
                errors[key] = [problem]
            else:
                cleaned[key] = value
    for field in spec:
        if field.required and field.name not in cleaned and field.name not in errors:
            errors[field.name] = ["This field is required."]
    if name == "twilio" and not errors and not (
        cleaned.get("messaging_service_sid") or cleaned.get("from_number")
    ):
        errors["messaging_service_sid"] = ["Give a Messaging Service SID or a from number."]
    if name == "easypost" and not errors and not cleaned:
        errors["webhook_secret"] = ["Give the webhook secret, the API key, or both."]
    if errors:
        raise ValidationFailed(f"The {name} credentials are not valid.", details=errors)
    return cleaned


def mask(value: str) -> str:
    """Enough to recognise a secret, never enough to use it."""
    if len(value) <= 8:
        return "•" * len(value)
    return "•" * 8 + value[-4:]


def credential_public_view(name: str, fields: dict[str, str]) -> dict[str, dict]:
    out = {}
    for field in CREDENTIAL_SPECS[name]:
        value = fields.get(field.name)
        out[field.name] = {
            "set": value is not None,
            "value": None if value is None else (mask(value) if field.secret else value),
        }
    return out


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("DOORSTEP_ENCRYPTION_KEYS is empty: credentials cannot be stored.")
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except (ValueError, binascii.Error):
        raise ImproperlyConfigured(
            "DOORSTEP_ENCRYPTION_KEYS must hold Fernet keys (32 url-safe base64 bytes each); "
            "make one with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'"
        ) from None


def _keys() -> MultiFernet:
    return _fernet(tuple(settings.DOORSTEP_ENCRYPTION_KEYS))


def encrypt_fields(fields: dict[str, str]) -> str:
    return _keys().encrypt(json.dumps(fields, sort_keys=True).encode()).decode()


def decrypt_fields(ciphertext: str) -> dict[str, str]:
    try:
        return json.loads(_keys().decrypt(ciphertext.encode()))
    except InvalidToken:
        raise ImproperlyConfigured(
            "A stored credential cannot be decrypted with DOORSTEP_ENCRYPTION_KEYS: "
            "was a key removed before `manage.py rotate_credentials` ran?"
        ) from None


def reencrypt(ciphertext: str) -> str:
    return _keys().rotate(ciphertext.encode()).decode()
