"""Signed tokens and the public URLs built from them: open pixel, click redirect, preferences,
RFC 8058 one-click unsubscribe.

The contract with the views (messaging/views.py) that serve these paths:

    path                              kind     token_load(kind, token) returns
    /m/o/<token>.gif                  "open"   (tenant_id, message_id, None)
    /m/c/<token>/                     "click"  (tenant_id, message_id, url_index)
    /u/<token>/                       "prefs"  (tenant_id, message_id, None)
    /u/<token>/one-click/ (POST)      "unsub"  (tenant_id, message_id, None)

- A token is a truncated HMAC-SHA256 (`salted_hmac`) over "<tenant_id>.<message_id>[.<url_index>]" (base 36),
  salted per kind, so a token of one kind never opens another (an open pixel token is not an
  unsubscribe). Tokens do not expire: a shopper may open an e-mail years later. Rotating
  SECRET_KEY (with SECRET_KEY_FALLBACKS) revokes them.
- A click token names the index of the URL in `Message.links`, never the URL itself, so the
  redirect can only go to a URL that was in the message (no open redirect). The view loads the
  message of `tenant_id` (unscoped lookup by id, then checks the tenant matches) and redirects
  to `message.links[url_index]`; a bad index is a 404 like a forged token.
- `token_load` raises `InvalidLinkToken` (a NotFound: answer 404, and never reveal why) for
  anything tampered with, truncated, of another kind, or signed with another key.
- Tokens are short on purpose: the click URL is also the SMS tracking link, which is billed
  per segment.
"""

from __future__ import annotations

import binascii
import hashlib
from functools import lru_cache
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.crypto import constant_time_compare

from config.errors import NotFound

if TYPE_CHECKING:
    from messaging.models import Message

KINDS = ("open", "click", "prefs", "unsub")


class InvalidLinkToken(NotFound):
    code = "invalid_link_token"
    default_message = "This link is not valid."


# 128 bits of HMAC-SHA256, base64url: unguessable, and 21 characters shorter than Django's
# Signer, which keeps the German "out for delivery" SMS in one segment.
SIGNATURE_LENGTH = 22


@lru_cache(maxsize=32)
def _kind_key(kind: str, secret: str) -> bytes:
    """The HMAC key Django's `salted_hmac` derives for this kind and secret (sha256 of salt +
    secret). Derived once: an e-mail signs three or more tokens, and deriving the key each
    time was half the cost of a signature. Same bytes, so every token issued stays valid."""
    return hashlib.sha256(f"doorstep.messaging.links.{kind}{secret}".encode()).digest()


@lru_cache(maxsize=32)
def _kind_hmac(kind: str, secret: str) -> tuple:
    """HMAC-SHA256 (RFC 2104) under this kind's key, as its two SHA-256 states after the
    padded key, as the hmac module keeps them: a signature then copies and finishes them
    instead of keying OpenSSL's HMAC again (half its cost, four times an e-mail)."""
    key = _kind_key(kind, secret).ljust(64, b"\0")  # 32 bytes: shorter than a block
    return (hashlib.sha256(bytes(b ^ 0x36 for b in key)),
            hashlib.sha256(bytes(b ^ 0x5C for b in key)))


def _signature(kind: str, value: str, secret: str) -> str:
    inner, outer = _kind_hmac(kind, secret)
    inner = inner.copy()
    inner.update(value.encode())
    outer = outer.copy()
    outer.update(inner.digest())
    mac = outer.digest()
    # The first 17 bytes give the same first 22 base64url characters as all 32 (a character
    # is 6 bits: 22 of them are 132 of the 136 bits), in one C call instead of three.
    return binascii.b2a_base64(mac[:17], newline=False).translate(_URLSAFE).decode()[
        :SIGNATURE_LENGTH]


_URLSAFE = bytes.maketrans(b"+/", b"-_")


def _b36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    if number == 0:
        return "0"
    out = ""
    while number:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
    return out


def token_make(kind: str, tenant_id: int, message_id: int, extra: int | None = None) -> str:
    return _signed(kind, f"{_b36(tenant_id)}.{_b36(message_id)}", extra, settings.SECRET_KEY)


def _signed(kind: str, value: str, extra: int | None, secret: str) -> str:
    """The token of `value` ("<tenant>.<message>", base 36) and `extra`, signed as `kind`."""
    if kind not in KINDS:
        raise ValueError(f"unknown link token kind {kind!r}; expected one of {KINDS}")
    if extra is not None:
        value = f"{value}.{_b36(extra)}"
    return f"{value}:{_signature(kind, value, secret)}"


def token_load(kind: str, token: str) -> tuple[int, int, int | None]:
    """(tenant_id, message_id, extra) from a token of `kind`; extra is the URL index for
    clicks, None otherwise. Raises InvalidLinkToken for anything not signed by us as `kind`."""
    if kind not in KINDS:
        raise ValueError(f"unknown link token kind {kind!r}; expected one of {KINDS}")
    value, sep, signature = token.rpartition(":")
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    if not sep or not any(constant_time_compare(signature, _signature(kind, value, secret))
                          for secret in secrets):
        raise InvalidLinkToken()
    try:
        parts = [int(part, 36) for part in value.split(".")]
    except ValueError as error:
        raise InvalidLinkToken() from error
    expected = 3 if kind == "click" else 2
    if len(parts) != expected:
        raise InvalidLinkToken()
    return parts[0], parts[1], parts[2] if kind == "click" else None


class MessageUrls:
    """One message's signed URLs, with the settings and its ids read once: a dispatch batch
    signs four a message (the open pixel, the preferences page, each link). The same URLs
    as the functions below, which use it."""

    __slots__ = ("base", "secret", "value")

    def __init__(self, message: Message) -> None:
        if message.pk is None:
            raise ValueError("links need a saved message (its id is in the token)")
        self.base, self.secret = settings.PUBLIC_BASE_URL, settings.SECRET_KEY
        self.value = f"{_b36(message.tenant_id)}.{_b36(message.pk)}"

    def token(self, kind: str, extra: int | None = None) -> str:
        return _signed(kind, self.value, extra, self.secret)

    def open_pixel(self) -> str:
        return f"{self.base}/m/o/{self.token('open')}.gif"

    def click(self, index: int) -> str:
        return f"{self.base}/m/c/{self.token('click', index)}/"

    def preferences(self) -> str:
        return f"{self.base}/u/{self.token('prefs')}/"

    def one_click_unsubscribe(self) -> str:
        return f"{self.base}/u/{self.token('unsub')}/one-click/"


def open_pixel_url(message: Message) -> str:
    return MessageUrls(message).open_pixel()


def click_url(message: Message, url: str) -> str:
    """The tracked URL for `url`. The URL's index in `message.links` goes in the token; a URL
    not there yet is appended (in memory: dispatch saves `links` with the rendered content)."""
    links = message.links if isinstance(message.links, list) else []
    if url not in links:
        links.append(url)
    message.links = links
    return click_url_for_index(message, links.index(url))


def click_url_for_index(message: Message, index: int) -> str:
    return MessageUrls(message).click(index)


def preferences_url(message: Message) -> str:
    return MessageUrls(message).preferences()


def one_click_unsubscribe_url(message: Message) -> str:
    """The RFC 8058 target for `List-Unsubscribe` (POST only; a GET must never unsubscribe)."""
    return MessageUrls(message).one_click_unsubscribe()
