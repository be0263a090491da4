"""The order page of the agent console: one timeline merged from every app, and the page's
blocks.

    order_console(tenant, order, request)
        ├─ orders: the order's own events (created, updated, notes, agent actions…)
        ├─ order_timeline signal: scans, milestones, page views, ratings (tracking), messages
        │   with their provider events and texts from the shopper (messaging), returns
        └─ sorted newest first ─▶ counted by kind (the filters) ─▶ filtered

Every source reads a fixed number of queries whatever the order's size, so the page's cost
does not grow with its parcels and messages (tests/test_agent_order_page.py counts them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

from tenants.models import Tenant

from .models import Order, OrderEvent
from .signals import OrderSection, TimelineEntry, TimelineKind, order_sections, order_timeline

K = OrderEvent.Kind
# OrderEvent kinds that a richer source shows already (a scan with the carrier's words, a
# message with its events, a rating with its comment): left out so nothing shows twice.
SHOWN_ELSEWHERE = {K.SHIPMENT_STATUS, K.MILESTONE, K.FEEDBACK}
EVENT_KINDS: dict[str, TimelineKind] = {
    K.CREATED: TimelineKind.ORDER, K.UPDATED: TimelineKind.ORDER,
    K.CANCELLED: TimelineKind.ORDER, K.REDACTED: TimelineKind.ORDER,
    K.SHIPMENT_CREATED: TimelineKind.PARCEL, K.MESSAGE: TimelineKind.MESSAGE,
    K.RETURN: TimelineKind.RETURN, K.NOTE: TimelineKind.AGENT, K.AGENT_ACTION: TimelineKind.AGENT,
}


def _own_entries(order: Order) -> list[TimelineEntry]:
    entries: list[TimelineEntry] = []
    for event in OrderEvent.objects.filter(order_id=order.pk).order_by("occurred_at", "pk"):
        if event.kind in SHOWN_ELSEWHERE:
            continue
        # The dispatcher's outcome lines are the message's own events (messaging's entries);
        # a member's resend is an agent action.
        if event.kind == K.MESSAGE:
            if not event.actor.startswith("user:"):
                continue
            kind = TimelineKind.AGENT
        else:
            kind = EVENT_KINDS.get(event.kind, TimelineKind.ORDER)
        if event.kind == K.NOTE:
            entries.append(TimelineEntry(
                at=event.occurred_at, kind=kind, title="Note", actor=event.actor,
                raw=(event.data or {}).get("text", event.summary), tone="warning",
                template="orders/console/_note.html",
                context={"mentions": (event.data or {}).get("mentions", [])}))
        else:
            entries.append(TimelineEntry(at=event.occurred_at, kind=kind, title=event.summary,
                                         actor=event.actor))
    return entries


@dataclass
class Console:
    timeline: list[TimelineEntry]
    counts: dict[str, int]  # entries per kind, before the filter
    kind: str  # the filter applied, "" for all
    sections: list[OrderSection] = field(default_factory=list)
    hidden: int = 0  # older entries left out (the page shows the newest SHOWN)

    @property
    def filters(self) -> list[tuple[str, str, int]]:
        return [(value, label, self.counts.get(value, 0))
                for value, label in TimelineKind.choices]


# Entries the page shows unless asked for all: an agent reads the newest first, and a page of
# hundreds of rendered messages took a second to build (bench/agent_search.py).
SHOWN = 100


def order_console(tenant: Tenant, order: Order, request, *, kind: str = "",
                  everything: bool = False) -> Console:
    """The order page's timeline (newest first, only `kind` when given, the newest SHOWN
    unless `everything`) and blocks."""
    entries = _own_entries(order)
    for _receiver, found in order_timeline.send(sender=Order, tenant=tenant, order=order):
        entries += cast(list[TimelineEntry], found or [])
    entries.sort(key=lambda e: e.at, reverse=True)
    counts: dict[str, int] = {}
    for entry in entries:
        counts[entry.kind] = counts.get(entry.kind, 0) + 1
    if kind in TimelineKind.values:
        entries = [e for e in entries if e.kind == kind]
    else:
        kind = ""
    sections: list[OrderSection] = []
    for _receiver, found in order_sections.send(sender=Order, tenant=tenant, order=order,
                                                request=request):
        sections += cast(list[OrderSection], found or [])
    sections.sort(key=lambda s: s.position)
    hidden = 0 if everything else max(0, len(entries) - SHOWN)
    return Console(entries if everything else entries[:SHOWN], counts, kind, sections, hidden)
