"""Rendered e-mail HTML stored packed: zstd against a dictionary of our own e-mails.

A rendered e-mail is about 22 kB of HTML, nearly all of it the brand layout that every e-mail
shares. PostgreSQL's LZ4 stored it in about 4 kB, out of line in TOAST, and compressing and
writing it was the largest single cost of dispatching a message. Packed against a dictionary of
our default e-mails, it takes about 0.7 kB, stays in the row, and packing costs about 12 µs.

    a stored value (bytea)
        0xFF <dictionary id, 1 byte> <zstd frame, with its checksum>    packed
        anything else                                                   UTF-8 text, as is

0xFF never occurs in UTF-8, so a value stored before packing (or by a database that was
never migrated) still reads as the text it is. Empty text stays empty.

Dictionaries (`dictionary-<id>.html.zst` beside this file, zstd-compressed on their own) are
the default English e-mails of each milestone rendered with the sample data, one after
another. Stored rows name theirs, so a dictionary is frozen once committed: never edited,
never removed (a test checks each against its digest in DICTIONARIES). A better one is made
with `manage.py packing_dictionary`, added under the next id and named in PACK_WITH; rows
packed before keep reading with theirs.
"""

from __future__ import annotations

import hashlib
import threading
from functools import cache
from pathlib import Path

import zstandard
from django.db import models

HERE = Path(__file__).parent
MARKER = 0xFF
# id → sha256 of the dictionary (uncompressed). Append only.
DICTIONARIES = {
    1: "48041f41cd84f2b45aeb9be690930f2ae9fe188bc0a27173a0d5a1cbd78a01d0",
}
PACK_WITH = 1  # the dictionary new values are packed with
LEVEL = 1  # zstd level: 3 packs a few per cent smaller at twice the time


class PackingError(ValueError):
    """A stored value that cannot be unpacked (an unknown dictionary, a damaged frame)."""


def dictionary_path(dictionary_id: int) -> Path:
    return HERE / f"dictionary-{dictionary_id}.html.zst"


def dictionary_read(dictionary_id: int) -> bytes:
    return zstandard.ZstdDecompressor().decompress(dictionary_path(dictionary_id).read_bytes())


@cache
def _dictionary(dictionary_id: int) -> zstandard.ZstdCompressionDict:
    if dictionary_id not in DICTIONARIES:
        raise PackingError(f"unknown packing dictionary {dictionary_id}")
    data = dictionary_read(dictionary_id)
    if hashlib.sha256(data).hexdigest() != DICTIONARIES[dictionary_id]:
        raise PackingError(f"packing dictionary {dictionary_id} is not the one rows were "
                           "packed with (its digest differs)")
    dictionary = zstandard.ZstdCompressionDict(data, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
    dictionary.precompute_compress(level=LEVEL)
    return dictionary


class _Codecs(threading.local):
    """zstd (de)compressors are not safe to share between threads: one set per thread."""

    def __init__(self) -> None:
        self.compressor: zstandard.ZstdCompressor | None = None
        self.decompressors: dict[int, zstandard.ZstdDecompressor] = {}


_codecs = _Codecs()


def pack(text: str) -> bytes:
    """`text` as it is stored."""
    if not text:
        return b""
    compressor = _codecs.compressor
    if compressor is None:
        compressor = _codecs.compressor = zstandard.ZstdCompressor(
            level=LEVEL, dict_data=_dictionary(PACK_WITH), write_checksum=True)
    return bytes((MARKER, PACK_WITH)) + compressor.compress(text.encode())


def unpack(data: bytes | memoryview) -> str:
    """The text of a stored value, packed or not."""
    data = bytes(data)
    if not data or data[0] != MARKER:
        return data.decode()
    if len(data) < 2:
        raise PackingError("a packed value without its dictionary id")
    dictionary_id = data[1]
    decompressor = _codecs.decompressors.get(dictionary_id)
    if decompressor is None:
        decompressor = zstandard.ZstdDecompressor(dict_data=_dictionary(dictionary_id))
        _codecs.decompressors[dictionary_id] = decompressor
    try:
        return decompressor.decompress(data[2:]).decode()
    except zstandard.ZstdError as error:
        raise PackingError(f"a packed value could not be unpacked: {error}") from error


class PackedTextField(models.TextField):
    """Text stored packed (bytea); reads and writes str like a
    TextField, so forms, serializers and templates see no difference. Equality lookups work
    (a value packs the same way each time); substring lookups do not, and nothing uses them."""

    def db_type(self, connection) -> str:
        return "bytea"

    def from_db_value(self, value, expression, connection):
        return None if value is None else unpack(value)

    def get_db_prep_value(self, value, connection, prepared=False):
        value = super().get_db_prep_value(value, connection, prepared)
        return None if value is None else pack(value)

