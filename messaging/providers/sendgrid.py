"""E-mail through SendGrid's v3 Mail Send with the official SDK.

The base URL is `SENDGRID_API_URL` (the EU region, or a fake server in tests). SendGrid's
own click and subscription tracking are off: our links are already signed redirects and our
unsubscribe page is the one the shopper should see; a second wrapper would only add a hop.
"""

from __future__ import annotations

import http.client
import json

import python_http_client.exceptions as sg_errors
from django.conf import settings
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import (
    Category,
    ClickTracking,
    CustomArg,
    From,
    Header,
    Mail,
    ReplyTo,
    SubscriptionTracking,
    To,
    TrackingSettings,
)

from messaging.models import Message

from .base import (
    PermanentSendError,
    TemporarySendError,
    Transport,
    UncertainSendError,
    provider_timeout,
)
from .email import email_envelope

NAME = "sendgrid"


def _error_text(body: bytes | str | None) -> tuple[str, str | None]:
    """SendGrid answers `{"errors": [{"message", "field", "help"}]}`; keep the first."""
    try:
        data = json.loads(body or b"{}")
        first = (data.get("errors") or [{}])[0]
        return first.get("message") or "", first.get("field")
    except (ValueError, AttributeError, TypeError):
        return (body.decode(errors="replace") if isinstance(body, bytes) else str(body or ""))[:200], None


class SendGridTransport(Transport):
    name = NAME

    def __init__(self, api_key: str, *, host: str | None = None):
        self.api_key = api_key
        self.host = (host or settings.SENDGRID_API_URL).rstrip("/")

    def mail_for(self, message: Message) -> Mail:
        envelope = email_envelope(message)
        mail = Mail(
            from_email=From(envelope.from_email, envelope.from_name or None),
            to_emails=To(message.recipient),
            subject=message.subject,
            plain_text_content=message.text_body or None,
            html_content=message.html_body or None,
        )
        if envelope.reply_to:
            mail.reply_to = ReplyTo(envelope.reply_to)
        for key, value in envelope.custom_args.items():
            mail.custom_arg = CustomArg(key, value)
        for category in envelope.categories:
            mail.category = Category(category)
        for key, value in envelope.headers.items():
            mail.header = Header(key, value)
        mail.tracking_settings = TrackingSettings(
            click_tracking=ClickTracking(False, False),
            subscription_tracking=SubscriptionTracking(False))
        return mail

    def send(self, message: Message) -> str:
        client = SendGridAPIClient(api_key=self.api_key, host=self.host)
        body = self.mail_for(message).get()
        try:
            response = client.client.mail.send.post(request_body=body, timeout=provider_timeout())
        except sg_errors.HTTPError as exc:
            text, field = _error_text(exc.body)
            detail = f"{text} ({field})" if field else text or str(exc.reason)
            if exc.status_code == 429 or exc.status_code >= 500:
                raise TemporarySendError(detail, provider=NAME, code=exc.status_code,
                                         status=exc.status_code) from exc
            raise PermanentSendError(detail, provider=NAME, code=exc.status_code,
                                     status=exc.status_code) from exc
        except (TimeoutError, http.client.HTTPException) as exc:
            # Sent, but no (complete) answer: SendGrid may have accepted it.
            raise UncertainSendError(f"no answer after sending: {exc}", provider=NAME) from exc
        except OSError as exc:  # URLError: refused, unreachable, DNS — nothing was sent
            if isinstance(getattr(exc, "reason", None), TimeoutError):
                raise UncertainSendError(f"no answer after sending: {exc}", provider=NAME) from exc
            raise TemporarySendError(f"no answer: {exc}", provider=NAME) from exc
        # The id SendGrid repeats (before the first ".") in every event's sg_message_id.
        return response.headers.get("X-Message-Id") or ""
