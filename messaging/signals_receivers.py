"""What messaging does when a lower app sends one of its signals (connected in apps.py).

Receivers only dispatch (STYLE.md): the work is elsewhere. Milestones do not come this way:
they are outbox rows, planned by the processors in journeys/milestones.py.
"""

from __future__ import annotations

from tenants.models import Tenant

from .journeys import default_journey_install
from .models import Message


def on_tenant_created(sender, *, tenant: Tenant, **kwargs) -> None:
    """tenants.signals.tenant_created, inside tenant_create's transaction: a store never
    exists without its default templates and journey."""
    default_journey_install(tenant)


def on_customer_redacted(sender, *, tenant: Tenant, customer_id: int, order_ids: list[int],
                         email: str, phone: str, **kwargs) -> None:
    """orders.signals.customer_redacted: erase what messages hold of the shopper (address,
    rendered content naming them, their preferences). Delivery facts (status, times, milestone)
    stay for the retailer's figures. The suppression list keeps the address on purpose: it is
    what stops us from ever writing to it again."""
    from django.db.models import Q

    from .models import MessagePreference

    who = Q(customer_id=customer_id) | Q(order_id__in=order_ids)
    for address in (email, phone):
        if address:
            who |= Q(recipient__iexact=address)
    Message.objects.filter(who).update(
        recipient="(erased)", subject="", preheader="", html_body="", text_body="", links=[],
        customer=None)
    MessagePreference.objects.filter(customer_id=customer_id).delete()
