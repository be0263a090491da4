"""Shared test helpers: the recorded payloads live beside each adapter, in <source>/fixtures/."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import tracking.carriers

CARRIERS_DIR = Path(tracking.carriers.__file__).parent


def fixture_bytes(source: str, name: str) -> bytes:
    """The body exactly as stored: signature vectors depend on every byte."""
    return (CARRIERS_DIR / source / "fixtures" / name).read_bytes()


def fixture_names(source: str) -> list[str]:
    return sorted(path.name for path in (CARRIERS_DIR / source / "fixtures").glob("*.json"))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def summary(update) -> list[tuple]:
    """(status, source code, subcode, time, cause) per event: what a fixture test compares."""
    return [(e.status, e.source_code, e.source_subcode, e.occurred_at, e.exception_cause)
            for e in update.events]
