"""Uploaded order files, stored as they came (an ImportJob) before anything reads them. The
file format and the import that runs it live in tracking (`csv_rows.py`, `csv_import.py`): a
row names a parcel as well as an order line, and shipments are a layer above orders."""

from __future__ import annotations

import hashlib

from tenants.models import Tenant

from ..models import ImportJob


def import_job_create(tenant: Tenant, *, filename: str, content: bytes, actor=None) -> ImportJob:
    """Raw first: the file is stored as uploaded before anything reads it."""
    return ImportJob.objects.create(
        tenant=tenant, filename=filename[:255], content=content,
        content_sha256=hashlib.sha256(content).hexdigest(), created_by=actor)
