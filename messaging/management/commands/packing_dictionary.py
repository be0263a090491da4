"""Write the next packing dictionary (messaging/packing/dictionary-<id>.html.zst) from today's
default e-mails, and print the line to add to DICTIONARIES. Nothing uses it until PACK_WITH
names it; the dictionaries already committed are never touched."""

from __future__ import annotations

import hashlib

import zstandard
from django.core.management.base import BaseCommand

from messaging import packing


class Command(BaseCommand):
    help = "Write the next packing dictionary for rendered e-mail HTML (see messaging/packing)."

    def handle(self, *args, **options) -> None:
        next_id = max(packing.DICTIONARIES) + 1
        path = packing.dictionary_path(next_id)
        data = packing.dictionary_build().encode()
        path.write_bytes(zstandard.ZstdCompressor(level=19).compress(data))
        digest = hashlib.sha256(data).hexdigest()
        self.stdout.write(f"wrote {path} ({len(data)} bytes uncompressed); add to DICTIONARIES:\n"
                          f'    {next_id}: "{digest}",')
