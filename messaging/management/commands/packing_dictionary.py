"""Write the next packing dictionary (messaging/packing/dictionary-<id>.html.zst) from today's
default e-mails, and print the line to add to DICTIONARIES. Nothing uses it until PACK_WITH
names it; the dictionaries already committed are never touched."""

from __future__ import annotations

import hashlib

import zstandard
from django.core.management.base import BaseCommand

from messaging import packing
from messaging.rendering.context import sample_context
from messaging.rendering.defaults import EMAIL_MILESTONES, default_email_html


class Command(BaseCommand):
    help = "Write the next packing dictionary for rendered e-mail HTML (see messaging/packing)."

    def handle(self, *args, **options) -> None:
        next_id = max(packing.DICTIONARIES) + 1
        path = packing.dictionary_path(next_id)
        data = dictionary_build().encode()
        path.write_bytes(zstandard.ZstdCompressor(level=19).compress(data))
        digest = hashlib.sha256(data).hexdigest()
        self.stdout.write(f"wrote {path} ({len(data)} bytes uncompressed); add to DICTIONARIES:\n"
                          f'    {next_id}: "{digest}",')


def dictionary_build() -> str:
    """The dictionary's text: the default English e-mail of each milestone, rendered with the
    sample data, one after another."""
    return "\n".join(default_email_html(milestone, "en", sample_context(locale="en",
                                                                        milestone=milestone))
                     for milestone in EMAIL_MILESTONES)
