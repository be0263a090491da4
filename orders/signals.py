"""Signals the orders app announces; higher apps connect receivers in AppConfig.ready().

    customer_redacted(sender=Customer, tenant, customer_id, order_ids, email, phone)
        sent inside the erasing transaction: higher apps erase what they hold of the shopper

The agent console (orders.search, orders.console) asks the apps above it for what they know
of an order: each receiver answers with the value it returns (Signal.send collects them), so
orders shows parcels, messages and returns without importing the apps that own them.

    order_search_hits(sender=Order, tenant, query: SearchQuery) -> list[SearchHit]
        orders this app finds for the query (tracking numbers, return numbers); one bounded
        query per receiver
    order_flags(sender=Order, tenant, order_ids: list[int]) -> dict[int, list[OrderFlag]]
        what a search result shows of each order: parcel statuses, open problems
    order_timeline(sender=Order, tenant, order: Order) -> list[TimelineEntry]
        the order's history as this app knows it; a fixed number of queries per receiver,
        whatever the order's size
    order_sections(sender=Order, tenant, order: Order, request) -> list[OrderSection]
        blocks of the order page (parcels, returns), with the actions the member may take
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import models
from django.dispatch import Signal

customer_redacted = Signal()
order_search_hits = Signal()
order_flags = Signal()
order_timeline = Signal()
order_sections = Signal()


@dataclass(frozen=True)
class SearchQuery:
    """What an agent typed, read every way it could name an order (orders.search parses it)."""

    text: str  # stripped, at most orders.search.MAX_QUERY characters
    numbers: tuple[str, ...]  # order or return numbers as typed, with and without "#"
    token: str  # the text without spaces, upper-cased: tracking and return numbers
    email: str  # lower-cased, when the text looks like an e-mail address
    phones: tuple[str, ...]  # E.164 candidates when the text looks like a phone number
    name: str  # the text when it could be (part of) a name


@dataclass(frozen=True)
class SearchHit:
    order_id: int
    rank: float  # 1.0 an exact match (number, tracking number, e-mail…); below: a name's likeness
    matched: str  # what matched, in words: "Tracking number", "Customer name"


@dataclass(frozen=True)
class OrderFlag:
    label: str  # "DHL 0034…: In transit", "Delayed", "Rated 1★", "Return waiting"
    tone: str = ""  # badge colour: "", "primary", "success", "warning", "danger"
    problem: bool = False  # an open problem an agent should look at


class TimelineKind(models.TextChoices):
    """The timeline's filters: every entry is of one kind."""

    ORDER = "order", "Order"  # created, updated, cancelled, erased
    PARCEL = "parcel", "Parcels"  # carrier scans, status changes, milestones
    MESSAGE = "message", "Messages"  # messages sent, their provider events, texts from the shopper
    VIEW = "view", "Page views"  # the shopper opened the tracking page
    RETURN = "return", "Returns"
    FEEDBACK = "feedback", "Feedback"  # delivery ratings
    AGENT = "agent", "Notes and actions"  # what members of the store did


@dataclass
class TimelineEntry:
    at: datetime
    kind: str  # a TimelineKind
    title: str
    detail: str = ""  # a line of context under the title
    actor: str = ""  # "user:sam@shop.com", "carrier:easypost", "shopper", …
    raw: str = ""  # the source's own words (a carrier's scan text, an SMS as received)
    tone: str = ""
    # A template that renders more (a message's preview and actions) with `context`.
    template: str = ""
    context: dict[str, Any] = field(default_factory=dict)


@dataclass
class OrderSection:
    """A block of the order page: `template` rendered with `context` (plus the page's own)."""

    title: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    position: int = 50  # lower first: parcels 10, returns 20, feedback 30
