"""Transports: one small module per provider, each a `Transport` whose `send(message)`
returns the provider's id or raises `PermanentSendError` / `TemporarySendError` (base.py).

    sendgrid.py   e-mail, v3 Mail Send (official SDK; host = SENDGRID_API_URL)
    smtp.py       e-mail over the platform's SMTP server (EMAIL_HOST)
    twilio.py     SMS, Messages API (official SDK; base URL = TWILIO_API_URL)
    outbox.py     e-mail and SMS kept on the Message row and in files (embedded default)
    email.py      what every e-mail carries: sender, ids, category, List-Unsubscribe

Which one sends, per channel: the tenant's own credentials when set (in every mode, the
demo included), else the platform's when configured, else the dev outbox.
"""

from __future__ import annotations

from django.conf import settings

from tenants.models import Tenant
from tenants.services import brand_get, credential_fields

from .base import PermanentSendError, SendError, TemporarySendError, Transport, UncertainSendError
from .outbox import OutboxTransport
from .sendgrid import SendGridTransport
from .smtp import SmtpTransport
from .twilio import TwilioTransport

TRANSPORTS: dict[str, type[Transport]] = {
    "sendgrid": SendGridTransport,
    "smtp": SmtpTransport,
    "twilio": TwilioTransport,
    "outbox": OutboxTransport,
}

__all__ = [
    "TRANSPORTS", "OutboxTransport", "PermanentSendError", "SendError", "SendGridTransport",
    "SmtpTransport", "TemporarySendError", "Transport", "TwilioTransport", "UncertainSendError",
    "email_transport_for", "outbox_channels", "outbox_is_default", "sms_transport_for",
    "transport_for",
]


def _sms_rate(*, messaging_service_sid: str) -> float:
    from messaging.ratelimit import rate_limits

    limits = rate_limits()
    return limits["sms_service"] if messaging_service_sid else limits["sms_sender"]


def _platform_email() -> bool:
    return bool(settings.SENDGRID_API_KEY or getattr(settings, "EMAIL_HOST", ""))


def _platform_sms() -> bool:
    return bool(settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN)


def email_transport_for(tenant: Tenant) -> Transport:
    own = credential_fields(tenant, "sendgrid") or {}
    if own.get("api_key"):
        return SendGridTransport(own["api_key"])
    if settings.SENDGRID_API_KEY:
        return SendGridTransport(settings.SENDGRID_API_KEY)
    if _platform_email():
        return SmtpTransport()
    return OutboxTransport("email")


def sms_transport_for(tenant: Tenant) -> Transport:
    own = credential_fields(tenant, "twilio") or {}
    if own.get("account_sid") and own.get("auth_token"):
        service = own.get("messaging_service_sid", "")
        return TwilioTransport(
            account_sid=own["account_sid"], auth_token=own["auth_token"],
            messaging_service_sid=service,
            from_number=own.get("from_number") or brand_get(tenant).sms_sender,
            rate_per_second=_sms_rate(messaging_service_sid=service))
    if _platform_sms():
        service = settings.TWILIO_MESSAGING_SERVICE_SID
        return TwilioTransport(
            account_sid=settings.TWILIO_ACCOUNT_SID, auth_token=settings.TWILIO_AUTH_TOKEN,
            messaging_service_sid=service, from_number=brand_get(tenant).sms_sender,
            rate_per_second=_sms_rate(messaging_service_sid=service))
    return OutboxTransport("sms")


def transport_for(tenant: Tenant, channel: str) -> Transport:
    return sms_transport_for(tenant) if channel == "sms" else email_transport_for(tenant)


def outbox_channels(tenant: Tenant) -> list[str]:
    """The channels whose messages this store keeps in the dev outbox now (no provider)."""
    return [channel for channel in ("email", "sms")
            if isinstance(transport_for(tenant, channel), OutboxTransport)]


def outbox_is_default() -> bool:
    """Whether this installation keeps a channel's messages in the dev outbox for every store
    without a provider of its own (the embedded mode). Settings only: no query."""
    return not (_platform_email() and _platform_sms())
