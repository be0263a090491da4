"""Prepaid return labels through EasyPost, with the official `easypost` SDK.

    label_buy(api_key, …)
      ├─ a shipment kept from an earlier attempt (its id on the request)? retrieve it:
      │    bought already (an answer we never saw) ─▶ that label, never a second one
      ├─ else POST /shipments  {is_return: true, to: the shopper, from: the return address}
      │    (EasyPost swaps the two for a return; its id is kept before buying)
      ├─ the cheapest rate among the policy's carriers (`label_carriers`; empty: any)
      └─ POST /shipments/<id>/buy ─▶ tracking number, carrier, label URL (PDF, else PNG)

The client is `easypost.EasyPostClient(api_key, api_base=EASYPOST_API_URL, timeout=…)`, the
SDK's public constructor: tests point it at a fake EasyPost server on loopback, nothing in
the SDK is patched. Every failure (EasyPost's error answers, a timeout, a refused connection,
no rate for the allowed carriers) is a `LabelFailed` with words for the retailer's timeline,
permanent or not; returns/services/labels.py keeps the request and tries again later unless
trying again cannot help.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import easypost
from django.conf import settings
from easypost.errors import EasyPostError

# EasyPost needs a weight (ounces); we know no item's, so a parcel weighs this per item.
OUNCES_PER_ITEM = 16.0


# Answers worth trying again later; other 4xx are EasyPost refusing the request itself.
TRANSIENT_STATUSES = frozenset({408, 409, 425, 429})


class LabelFailed(Exception):
    """The label could not be bought (said in the retailer's words). `permanent`: trying
    again cannot help (EasyPost refused the request itself: a bad address, a revoked key, no
    rate for the allowed carriers); else it may work later (a timeout, a 5xx, a 429)."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Label:
    provider_id: str  # EasyPost's shipment, "shp_…"
    carrier: str
    service: str
    tracking_number: str
    url: str  # the PDF when EasyPost made one, else the PNG


def easypost_address(address: dict, *, email: str = "") -> dict:
    """Our address keys (orders' shipping_address, the policy's return_address) in EasyPost's."""
    mapped = {
        "name": address.get("name", ""), "company": address.get("company", ""),
        "street1": address.get("address1", ""), "street2": address.get("address2", ""),
        "city": address.get("city", ""), "state": address.get("province", ""),
        "zip": address.get("postcode", ""), "country": address.get("country_code", ""),
        "phone": address.get("phone", ""), "email": email,
    }
    return {k: str(v) for k, v in mapped.items() if v}


def _client(api_key: str) -> easypost.EasyPostClient:
    return easypost.EasyPostClient(api_key, api_base=settings.EASYPOST_API_URL.rstrip("/"),
                                   timeout=settings.EASYPOST_TIMEOUT)


def _label(shipment) -> Label:
    postage = shipment.get("postage_label") or {}
    rate = shipment.get("selected_rate") or {}
    url = postage.get("label_pdf_url") or postage.get("label_url") or ""
    if not shipment.get("tracking_code") or not url:
        raise LabelFailed("EasyPost bought the label but sent no tracking number or label file.")
    return Label(provider_id=shipment["id"], carrier=str(rate.get("carrier") or ""),
                 service=str(rate.get("service") or ""),
                 tracking_number=str(shipment["tracking_code"])[:64], url=str(url)[:1000])


def _words(exc: EasyPostError) -> str:
    status = getattr(exc, "http_status", None)
    text = getattr(exc, "message", None) or str(exc)
    return (f"EasyPost answered {status}: {text}" if status else f"EasyPost: {text}")[:500]


def label_buy(api_key: str, *, to_address: dict, from_address: dict, items: int,
              carriers: list[str], reference: str, existing_id: str = "",
              created: Callable[[str], object] = lambda provider_id: None) -> Label:
    """Buy the return label (see the module docstring). `created(id)` is called with the new
    EasyPost shipment's id before anything is bought, so the caller can keep it."""
    client = _client(api_key)
    try:
        if existing_id:
            shipment = client.shipment.retrieve(existing_id)
            if shipment.get("postage_label"):
                return _label(shipment)
        else:
            shipment = client.shipment.create(
                to_address=to_address, from_address=from_address, is_return=True,
                parcel={"weight": OUNCES_PER_ITEM * max(1, items)}, reference=reference,
                options={"label_format": "PDF"})
            created(shipment["id"])
        try:
            rate = shipment.lowest_rate(carriers=carriers)
        except EasyPostError:
            allowed = ", ".join(carriers) if carriers else "any carrier"
            raise LabelFailed(f"EasyPost offered no rate for {allowed}.", permanent=True) from None
        return _label(client.shipment.buy(shipment["id"], rate=rate))
    except EasyPostError as exc:
        status = getattr(exc, "http_status", None)
        raise LabelFailed(_words(exc), permanent=isinstance(status, int) and 400 <= status < 500
                          and status not in TRANSIENT_STATUSES) from exc
