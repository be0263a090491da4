"""What every tracking source produces, and the interface each source's adapter implements.

    webhook ──▶ adapter.verify(raw body, headers, query, tenant secrets) ── False ──▶ 401
                 │ True
                 ▼
                adapter.parse(raw body) ── PayloadError ──▶ 400 (body kept for inspection)
                 │
                 ├─ []  a kind this source sends that we deliberately ignore ──▶ 204
                 └─ [NormalizedUpdate(events=[NormalizedEvent, …]), …] ──▶ services, idempotently

Adapters are pure: no models, no database, no network. Everything they need comes in as bytes
and mappings, which is what lets the same code serve live webhooks and replays of stored bodies.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar

from config.errors import ApplicationError
from tracking.statuses import ExceptionCause, TrackingStatus

# A location as the source gave it: a dict with some of city/state/country/postal_code, or a
# free-text string when that is all there is.
Location = dict[str, str] | str | None

# What a mapping table row says about a source code: our status and, for exceptions, who caused it.
StatusMapping = tuple[TrackingStatus, ExceptionCause | None]


class PayloadError(ApplicationError):
    """The body cannot be understood. The message says why in words a developer can act on;
    `details` maps a field path (e.g. "[3].occurred_at") to its problems where there is one."""

    code = "invalid_payload"
    status = 400
    default_message = "The payload could not be understood."


@dataclass(frozen=True)
class NormalizedEvent:
    tracking_number: str
    carrier: str  # the carrier's code, e.g. "USPS", "FEDEX", "DHL" (see parsing.carrier_code)
    status: TrackingStatus
    source_code: str  # the source's own status code, e.g. EasyPost "in_transit", AfterShip "InTransit"
    source_subcode: str | None  # e.g. EasyPost status_detail, AfterShip subtag, Shippo substatus
    message: str
    occurred_at: datetime  # always timezone-aware
    location: Location = field(hash=False)
    exception_cause: ExceptionCause | None  # set only when status is `exception`
    estimated_delivery: date | None
    # Unique per tenant and event: "<source>:<id>" when the source gives events an id, else
    # "sha256:<hex>" of the stable content (see parsing.content_dedup_key).
    dedup_key: str
    raw: dict[str, Any] = field(hash=False, compare=False, repr=False)


@dataclass
class NormalizedUpdate:
    """One tracked parcel as one delivery from a source describes it."""

    source: str  # "easypost", "aftership", "shippo", "generic"
    tracking_number: str
    carrier: str
    service: str | None
    estimated_delivery: date | None
    events: list[NormalizedEvent]  # oldest first
    provider_object_id: str | None  # the source's id for the tracked object (trk_…, AfterShip id)
    # The source's summary status of the whole parcel. It can say more than the events do:
    # AfterShip `Expired` and EasyPost trackers with no details yet carry no checkpoint.
    status: TrackingStatus | None = None
    exception_cause: ExceptionCause | None = None
    # The id of this webhook delivery (EasyPost evt_…, AfterShip event_id): the key to ignore a
    # redelivered body as a whole. Events are de-duplicated one by one with their dedup_key.
    provider_event_id: str | None = None
    order_reference: str | None = None  # Shippo metadata, AfterShip order_number: helps matching
    test_mode: bool = False  # the source marked it as a test-mode delivery


class Adapter(ABC):
    """One inbound tracking source. Instances are stateless and shared across threads."""

    name: ClassVar[str]
    # The tenant credential fields (tenants.credentials.CREDENTIAL_SPECS[name]) verify() reads.
    secret_field_names: ClassVar[tuple[str, ...]]

    @abstractmethod
    def verify(
        self,
        raw_body: bytes,
        headers: Mapping[str, str],
        query: Mapping[str, str],
        secret_fields: dict[str, str],
    ) -> bool:
        """True only if the body provably comes from the source for this tenant. Missing
        secrets, headers or tokens answer False; this never raises for bad input."""

    @abstractmethod
    def parse(self, raw_body: bytes) -> list[NormalizedUpdate]:
        """Normalise a verified body. Kinds of deliveries we do not process (e.g. EasyPost
        `batch.updated`) return [] because the source sends them to the same URL and an error
        would only make it retry; a body that is not this source's envelope at all, or misses
        what a tracking update needs, raises PayloadError."""
