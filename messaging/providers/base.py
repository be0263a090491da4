"""What every transport is and how it fails (after Healthchecks' `Transport`).

A transport's `send(message)` hands one rendered Message row to a provider and returns the
provider's id for it, or raises:

    PermanentSendError   the provider refused this message for good (invalid number, opted
                         out, bad sender, unknown address): fail now, say why
    TemporarySendError   the provider could not take it now (timeout, 429, 5xx): retry later

Both carry the provider's own code and message so the retailer sees the real reason.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from django.conf import settings

if TYPE_CHECKING:
    from messaging.models import Message

DEFAULT_TIMEOUT_SECONDS = 10.0


def provider_timeout() -> float:
    """Seconds to wait for a provider's answer; tests shorten it to exercise hangs."""
    return float(getattr(settings, "MESSAGING_PROVIDER_TIMEOUT", DEFAULT_TIMEOUT_SECONDS))


class SendError(Exception):
    permanent: ClassVar[bool] = False

    def __init__(self, message: str, *, provider: str, code: str | int | None = None,
                 status: int | None = None):
        self.message = message
        self.provider = provider
        self.code = None if code is None else str(code)
        self.status = status
        super().__init__(message)

    @property
    def reason(self) -> str:
        """One line for `Message.status_reason`: who said what, with their code."""
        code = f" {self.code}" if self.code else ""
        return f"{self.provider}{code}: {self.message}"[:500]


class PermanentSendError(SendError):
    permanent = True


class TemporarySendError(SendError):
    permanent = False


class UncertainSendError(SendError):
    """The request went out but no answer came back (a read timeout): the provider may have
    accepted it. Never retried automatically: the message becomes `uncertain` for a person to
    check (DESIGN.md: exactly once to the shopper)."""

    permanent = False


class Transport:
    """One provider for one tenant. `name` lands in `Message.provider`; `rate_key` and
    `rate_per_second` describe the sender's cap (None: no cap beyond the tenant's)."""

    name: ClassVar[str] = ""
    rate_key: str | None = None
    rate_per_second: float | None = None

    def send(self, message: Message) -> str:
        raise NotImplementedError
