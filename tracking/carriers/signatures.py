"""Webhook signature checks, exactly as each provider signs (shared/reference/wire-formats.md §0).

Pure functions over the raw request body: sign and verify the bytes as received, never a
re-serialised JSON. Every comparison is constant-time and every verifier answers False (never
raises) for a missing, empty or malformed header, so endpoints can map False to 401 directly.

| provider  | header                  | value                                              |
|-----------|-------------------------|----------------------------------------------------|
| EasyPost  | X-Hmac-Signature        | "hmac-sha256-hex=" + hex HMAC-SHA256, NFKD secret  |
| AfterShip | aftership-hmac-sha256   | base64 HMAC-SHA256                                 |
| Shopify   | X-Shopify-Hmac-Sha256   | base64 HMAC-SHA256, any of the current secrets     |
| Shippo    | ?token= in the URL      | our token; optional Shippo-Auth-Signature t=,v1=   |
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import unicodedata
from collections.abc import Iterable

from config.untrusted import digits_int

EASYPOST_PREFIX = "hmac-sha256-hex="


def _key(secret: str | bytes) -> bytes:
    return secret if isinstance(secret, bytes) else secret.encode("utf-8")


def hmac_sha256_hex(secret: str | bytes, message: bytes) -> str:
    return hmac.new(_key(secret), message, hashlib.sha256).hexdigest()


def hmac_sha256_b64(secret: str | bytes, message: bytes) -> str:
    return base64.b64encode(hmac.new(_key(secret), message, hashlib.sha256).digest()).decode("ascii")


def constant_time_equal(expected: str, received: str | None) -> bool:
    """compare_digest on bytes: on str it raises TypeError for non-ASCII input, and a header is
    attacker-controlled."""
    if not received:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), received.encode("utf-8"))


def easypost_signature(raw_body: bytes, secret: str) -> str:
    # EasyPost's SDKs NFKD-normalise the secret first: "sécret" keyed as typed gives another
    # digest (the published negative vector), so skipping this breaks non-ASCII secrets only.
    key = unicodedata.normalize("NFKD", secret).encode("utf-8")
    return EASYPOST_PREFIX + hmac_sha256_hex(key, raw_body)


def verify_easypost(raw_body: bytes, header_value: str | None, secret: str) -> bool:
    if not secret:
        return False
    return constant_time_equal(easypost_signature(raw_body, secret), header_value)


def verify_aftership(raw_body: bytes, header_value: str | None, secret: str) -> bool:
    if not secret:
        return False
    return constant_time_equal(hmac_sha256_b64(secret, raw_body), _strip(header_value))


def verify_shopify(raw_body: bytes, header_value: str | None, secrets: Iterable[str]) -> bool:
    """Accepts any of `secrets`: after a rotation Shopify may sign with the old client secret for
    up to an hour. Every secret is tried, so timing does not reveal which one matched."""
    received = _strip(header_value)
    matched = False
    for secret in secrets:
        if secret and constant_time_equal(hmac_sha256_b64(secret, raw_body), received):
            matched = True
    return matched


def verify_shippo_token(received: str | None, expected: str) -> bool:
    """Shippo signs nothing by default: we put a random token in the webhook URL (?token=…)."""
    if not expected:
        return False
    return constant_time_equal(expected, received)


def shippo_signature(raw_body: bytes, secret: str, timestamp: int) -> str:
    return f"t={timestamp},v1={hmac_sha256_hex(secret, str(timestamp).encode() + b'.' + raw_body)}"


def verify_shippo_hmac(raw_body: bytes, header_value: str | None, secret: str, *,
                       tolerance_seconds: int | None = None, now: float | None = None) -> bool:
    """`Shippo-Auth-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.

    [SECONDARY] in wire-formats.md §1.3: Shippo enables it only on request and documents it
    nowhere we could read, so it is an extra check on top of the URL token, never instead of it.
    No replay window unless `tolerance_seconds` is given (none is documented).
    """
    if not secret or not header_value:
        return False
    parts: dict[str, list[str]] = {}
    for item in header_value.split(","):
        name, sep, value = item.strip().partition("=")
        if sep:
            parts.setdefault(name, []).append(value)
    timestamps = parts.get("t", [])
    timestamp = digits_int(timestamps[0]) if len(timestamps) == 1 else None
    if timestamp is None:
        return False
    if tolerance_seconds is not None:
        current = time.time() if now is None else now
        if abs(current - timestamp) > tolerance_seconds:
            return False
    expected = hmac_sha256_hex(secret, timestamps[0].encode() + b"." + raw_body)
    # Several v1 values may be present while Shippo rotates secrets (Stripe-like scheme).
    return any(constant_time_equal(expected, candidate) for candidate in parts.get("v1", []))


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else None
