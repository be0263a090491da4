"""“Send a test event” for a carrier integration: one of the adapter's recorded fixture bodies,
signed with the store's own stored secret (or carrying its Shippo URL token) and put through
exactly what replaying a stored body does, `inbound_store` then `inbound_receive`. So a test
proves the secret the retailer saved, and shows up in the inbound webhook log like a real
delivery.

Kept out of services.py on purpose: it is a dashboard helper on top of the pipeline, not a
step of it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from config.errors import ValidationFailed
from tenants.inbound import Receipt, inbound_store
from tenants.models import InboundWebhook, Tenant
from tenants.services import credential_fields

from .carriers import ADAPTERS
from .carriers.signatures import easypost_signature, hmac_sha256_b64, shippo_signature
from .services import inbound_receive

# A fixture per source that the adapter processes (not one of the kinds it ignores).
SAMPLE_FIXTURES = {
    "easypost": "tracker_updated_delivered.json",
    "aftership": "tracking_update_out_for_delivery.json",
    "shippo": "track_updated_transit.json",
}
LABELS = {"easypost": "EasyPost", "aftership": "AfterShip", "shippo": "Shippo"}
WHAT_TO_SET = {
    "easypost": "the webhook secret you entered in EasyPost",
    "aftership": "the webhook secret from AfterShip's webhook settings",
    "shippo": "a webhook token (the “Generate a token” button makes one)",
}


@dataclass(frozen=True)
class SampleSent:
    inbound: InboundWebhook
    receipt: Receipt


def sample_body(source: str) -> bytes:
    return (Path(__file__).parent / "carriers" / source / "fixtures"
            / SAMPLE_FIXTURES[source]).read_bytes()


def _signed(source: str, body: bytes, secrets: dict[str, str]) -> tuple[dict[str, str], str]:
    """Headers and query string as the provider would send them."""
    headers = {"Content-Type": "application/json", "User-Agent": "Doorstep test event",
               "X-Doorstep-Test-Event": "1"}
    query = ""
    if source == "easypost":
        headers["X-Hmac-Signature"] = easypost_signature(body, secrets["webhook_secret"])
    elif source == "aftership":
        headers["Aftership-Hmac-Sha256"] = hmac_sha256_b64(secrets["webhook_secret"], body)
    elif source == "shippo":
        query = urlencode({"token": secrets["webhook_token"]})
        if secrets.get("webhook_hmac_secret"):
            headers["Shippo-Auth-Signature"] = shippo_signature(
                body, secrets["webhook_hmac_secret"], int(time.time()))
    return headers, query


def webhook_test_send(tenant: Tenant, source: str) -> SampleSent:
    """Store and receive a signed sample body; ValidationFailed when no secret is set."""
    if source not in SAMPLE_FIXTURES:
        raise ValidationFailed(f"There is no test event for {source}.")
    secrets = credential_fields(tenant, source) or {}
    needed = ADAPTERS[source].secret_field_names
    if not all(secrets.get(name) for name in needed):
        raise ValidationFailed(
            f"Connect {LABELS[source]} first: save {WHAT_TO_SET[source]} under Settings → "
            "Integrations. The test event is signed with it, exactly as a real one would be.")
    body = sample_body(source)
    headers, query = _signed(source, body, secrets)
    inbound = inbound_store(tenant, source=source, body=body, headers=headers, query=query,
                            remote_addr="127.0.0.1")
    return SampleSent(inbound, inbound_receive(tenant, inbound))
