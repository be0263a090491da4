"""SMS through Twilio's Messages API with the official SDK.

The SDK builds `https://api.twilio.com/...` URLs itself; `BaseUrlHttpClient` (the SDK's
documented `http_client=` extension point) sends them to `TWILIO_API_URL` instead, which is
how tests reach a fake server and how a regional endpoint could be used. Every message asks
for status callbacks at our per-tenant URL with our message id in the query string.
"""

from __future__ import annotations

import requests
from django.conf import settings
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from messaging.models import Message

from .base import (
    PermanentSendError,
    TemporarySendError,
    Transport,
    UncertainSendError,
    provider_timeout,
)

NAME = "twilio"
DEFAULT_BASE = "https://api.twilio.com"
# Twilio's codes for "this number opted out" (a STOP we may not have heard about yet).
OPTED_OUT = "21610"


class BaseUrlHttpClient(TwilioHttpClient):
    def __init__(self, base_url: str, **kwargs):
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")

    def request(self, method, url, *args, **kwargs):
        if url.startswith(DEFAULT_BASE) and self.base_url != DEFAULT_BASE:
            url = self.base_url + url[len(DEFAULT_BASE):]
        return super().request(method, url, *args, **kwargs)


def status_callback_url(message: Message) -> str:
    return (f"{settings.PUBLIC_BASE_URL}/webhooks/twilio/{message.tenant.slug}/status/"
            f"?m={message.pk}")


class TwilioTransport(Transport):
    name = NAME

    def __init__(self, *, account_sid: str, auth_token: str, messaging_service_sid: str = "",
                 from_number: str = "", base_url: str | None = None,
                 rate_per_second: float | None = None):
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.messaging_service_sid = messaging_service_sid
        self.from_number = from_number
        self.base_url = base_url or settings.TWILIO_API_URL
        # Each sender has its own per-second cap at the carriers: count per sender.
        self.rate_key = f"twilio:{account_sid}:{messaging_service_sid or from_number}"
        self.rate_per_second = rate_per_second

    def client(self) -> Client:
        http_client = BaseUrlHttpClient(self.base_url, timeout=provider_timeout())
        return Client(self.account_sid, self.auth_token, http_client=http_client)

    def send(self, message: Message) -> str:
        if not (self.messaging_service_sid or self.from_number):
            raise PermanentSendError(
                "No SMS sender is configured: set a Messaging Service SID or a from number.",
                provider=NAME, code="no_sender")
        sender = ({"messaging_service_sid": self.messaging_service_sid}
                  if self.messaging_service_sid else {"from_": self.from_number})
        try:
            created = self.client().messages.create(
                to=message.recipient, body=message.text_body,
                status_callback=status_callback_url(message), **sender)
        except (TwilioRestException, TwilioServiceException) as exc:
            status = int(exc.status or 0)
            text = getattr(exc, "detail", None) or getattr(exc, "title", None) or getattr(exc, "msg", "")
            text = str(text).removeprefix("Unable to create record: ")
            error = TemporarySendError if status == 429 or status >= 500 else PermanentSendError
            raise error(text, provider=NAME, code=exc.code, status=status) from exc
        except requests.ReadTimeout as exc:
            # Sent, but no answer: Twilio may have accepted it.
            raise UncertainSendError(f"no answer after sending: {exc}", provider=NAME) from exc
        except requests.RequestException as exc:  # refused, unreachable: nothing was sent
            raise TemporarySendError(f"no answer: {exc}", provider=NAME) from exc
        return created.sid
