"""What an SMS costs: its encoding and the number of segments carriers bill.

GSM-7 fits 160 characters in one segment; a longer message is split into segments of 153
(each part carries a 7-septet concatenation header). Characters of the GSM extension table
(`^{}\\[~]|€` and form feed) are sent as an escape plus the character, so they count 2 and a
pair is never split across segments. A single character outside GSM-7 (an emoji, a curly
quote, `á`) turns the whole message into UCS-2: 70 UTF-16 units in one segment, 67 per segment
after that, and a surrogate pair (most emoji) is never split.
"""

from __future__ import annotations

from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

GSM7_SINGLE, GSM7_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67


@dataclass(frozen=True)
class Segments:
    encoding: str  # "GSM-7" or "UCS-2"
    segments: int  # 0 for an empty message
    length: int  # septets (GSM-7, extension characters count 2) or UTF-16 units (UCS-2)

    @property
    def costs_more_than_one(self) -> bool:
        return self.segments > 1


def sms_segments(text: str) -> Segments:
    """The encoding, billed segments and encoded length of `text`."""
    if all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text):
        units = [2 if char in GSM7_EXTENSION else 1 for char in text]
        return Segments("GSM-7", _pack(units, GSM7_SINGLE, GSM7_MULTI), sum(units))
    units = [2 if ord(char) > 0xFFFF else 1 for char in text]
    return Segments("UCS-2", _pack(units, UCS2_SINGLE, UCS2_MULTI), sum(units))


def _pack(units: list[int], single: int, multi: int) -> int:
    """Segments needed when each character takes `units` and none may be split."""
    total = sum(units)
    if total == 0:
        return 0
    if total <= single:
        return 1
    segments, used = 1, 0
    for size in units:
        if used + size > multi:
            segments, used = segments + 1, 0
        used += size
    return segments


def non_gsm_characters(text: str) -> list[str]:
    """The distinct characters that force UCS-2, in order of appearance."""
    seen: dict[str, None] = {}
    for char in text:
        if char not in GSM7_BASIC and char not in GSM7_EXTENSION:
            seen.setdefault(char)
    return list(seen)


def sms_warning(text: str) -> str | None:
    """A retailer-readable warning when `text` costs more than one segment, else None."""
    counted = sms_segments(text)
    if not counted.costs_more_than_one:
        return None
    limit = GSM7_SINGLE if counted.encoding == "GSM-7" else UCS2_SINGLE
    warning = (f"This message is {counted.length} characters in {counted.encoding} and is sent as "
               f"{counted.segments} SMS segments (one segment holds {limit}); each segment is billed.")
    culprits = non_gsm_characters(text)
    if culprits:
        shown = " ".join(culprits[:5])
        warning += f" These characters force UCS-2: {shown}."
    return warning
