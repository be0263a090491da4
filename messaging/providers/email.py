"""What every e-mail carries whichever transport sends it: sender, reply-to, our ids, the
milestone as category, and the RFC 8058 one-click unsubscribe headers when (and only when)
the message carries marketing content (transactional mail is exempt; wire-formats.md §5)."""

from __future__ import annotations

from dataclasses import dataclass, field
from email.utils import parseaddr
from urllib.parse import quote

from django.conf import settings

from messaging.models import Message
from tenants.services import brand_get

ONE_CLICK = "List-Unsubscribe=One-Click"


@dataclass(frozen=True)
class EmailEnvelope:
    from_email: str
    from_name: str
    reply_to: str
    # Extra header fields (List-Unsubscribe, List-Unsubscribe-Post), exactly one of each.
    headers: dict[str, str] = field(default_factory=dict)
    # Echoed back by SendGrid on every event: how webhooks find the message and tenant.
    custom_args: dict[str, str] = field(default_factory=dict)
    categories: tuple[str, ...] = ()


def list_unsubscribe_headers(message: Message, *, mailto: str = "") -> dict[str, str]:
    from messaging import links

    value = f"<{links.one_click_unsubscribe_url(message)}>"
    if mailto:
        value += f", <mailto:{mailto}?subject={quote('unsubscribe')}>"
    return {"List-Unsubscribe": value, "List-Unsubscribe-Post": ONE_CLICK}


def email_envelope(message: Message) -> EmailEnvelope:
    tenant = message.tenant
    brand = brand_get(tenant)
    # The brand's own address when set (it must be a verified sender at the ESP); otherwise
    # the platform's address under the store's name.
    from_email = brand.sender_email or parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    from_name = brand.sender_name or tenant.name
    reply_to = brand.reply_to or brand.sender_email
    headers: dict[str, str] = {}
    if message.includes_marketing:
        # The mailto goes to the retailer (a person reads it); the https URL is the one
        # mailbox providers use, and the token in it is the only authority.
        headers = list_unsubscribe_headers(message, mailto=brand.reply_to or brand.sender_email)
    return EmailEnvelope(
        from_email=from_email, from_name=from_name, reply_to=reply_to, headers=headers,
        custom_args={"doorstep_message_id": str(message.pk), "doorstep_tenant": tenant.slug},
        categories=(message.milestone,) if message.milestone else (),
    )
