"""CSV order import, the running half: start a job, and import it in the background.

    orders_csv_import_start (view) ─ orders.services.import_job_create ─ on commit ─▶ task
    orders_csv_import_run (task)
        └─ csv_rows.csv_groups(file) ─ per order, in its own transaction:
              bad rows              → job.errors [{line, reason}], nothing of that order written
              order_upsert          → created, or already imported (idempotent by external id)
              shipment_create       → one per carrier + tracking number (idempotent too)

It lives in tracking (layer 4) because it creates shipments; so does the file format
(csv_rows.py); the orders app stores the upload and writes the orders.
Progress is saved every few orders so the page's progress bar moves; a re-run of the same job
(a worker died mid-way) repeats nothing, because every write is an upsert.
"""

from __future__ import annotations

import logging
import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction
from django.utils import timezone

from config.errors import ApplicationError
from orders.models import ImportJob
from orders.services import import_job_create, order_upsert
from tenants.models import Tenant
from tenants.queueing import enqueue_on_commit

from .csv_rows import CsvFileError, OrderGroup, csv_groups, csv_upload_check
from .services import shipment_create

logger = logging.getLogger(__name__)

ERRORS_KEPT = 500  # shown on the page; error_count has them all
PROGRESS_EVERY_SECONDS = 0.5


def orders_csv_import_start(tenant: Tenant, *, filename: str, content: bytes, actor=None) -> ImportJob:
    csv_upload_check(content)
    job = import_job_create(tenant, filename=filename, content=content, actor=actor)
    from .tasks import orders_csv_import

    # Broker down: the job stays `queued` and tracking_sweep queues it later.
    enqueue_on_commit(orders_csv_import, tenant.pk, job.pk, what=f"CSV import {job.pk}")
    return job


def _zone(tenant: Tenant) -> ZoneInfo:
    try:
        return ZoneInfo(tenant.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _import_group(tenant: Tenant, group: OrderGroup, actor: str) -> bool:
    """Write one valid order and its shipments; True when the order is new."""
    with transaction.atomic():
        order, created = order_upsert(tenant, group.order, actor=actor)
        for row in group.shipments:
            shipment_create(tenant, carrier=row.carrier, tracking_number=row.tracking_number,
                            order=order, promised_delivery=row.promised_delivery)
    return created


def _save(job: ImportJob, *fields: str) -> None:
    ImportJob.objects.filter(pk=job.pk).update(**{name: getattr(job, name) for name in fields})


def orders_csv_import_run(tenant: Tenant, job_id: int) -> ImportJob | None:
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None or job.status == ImportJob.Status.DONE:
        return job
    job.status, job.processed_rows, job.created_rows, job.skipped_rows = (
        ImportJob.Status.RUNNING, 0, 0, 0)
    job.errors, job.error_count = [], 0
    try:
        groups, job.total_rows = csv_groups(bytes(job.content), tz=_zone(tenant))
    except CsvFileError as exc:
        job.status, job.message, job.finished_at = ImportJob.Status.FAILED, exc.message, timezone.now()
        _save(job, "status", "message", "finished_at")
        return job
    _save(job, "status", "total_rows", "processed_rows", "created_rows", "skipped_rows",
          "errors", "error_count")

    actor = f"csv:{job.filename}"[:200]
    errors: list[dict] = []
    last_saved = time.monotonic()
    for group in groups:
        if not group.errors:
            try:
                if _import_group(tenant, group, actor):
                    job.created_rows += len(group.lines)
                else:
                    job.skipped_rows += len(group.lines)
            except ApplicationError as exc:
                # What only the database knows: a number used by another order, and the like.
                group.errors.append((group.lines[0], f"order {group.number}: {exc.message}"))
            except Exception:
                # One order must not stop the file; the log has the trace for us.
                logger.exception("CSV import: order failed", extra={"job_id": job.pk})
                group.errors.append((group.lines[0], f"order {group.number} could not be "
                                                     "saved; try again or contact support."))
        for line, reason in group.errors:
            errors.append({"line": line, "reason": reason})
        job.error_count += len(group.errors)
        job.processed_rows += len(group.lines)
        if time.monotonic() - last_saved > PROGRESS_EVERY_SECONDS:
            job.errors = errors[:ERRORS_KEPT]
            _save(job, "processed_rows", "created_rows", "skipped_rows", "errors", "error_count")
            last_saved = time.monotonic()

    job.errors = sorted(errors, key=lambda e: e["line"])[:ERRORS_KEPT]
    job.status, job.finished_at = ImportJob.Status.DONE, timezone.now()
    job.message = _summary(job)
    _save(job, "status", "finished_at", "message", "processed_rows", "created_rows",
          "skipped_rows", "errors", "error_count")
    return job


def _summary(job: ImportJob) -> str:
    parts = [f"{job.created_rows} row(s) imported"]
    if job.skipped_rows:
        parts.append(f"{job.skipped_rows} already imported before (updated where changed, "
                     "never duplicated)")
    if job.error_count:
        left_out = job.processed_rows - job.created_rows - job.skipped_rows
        parts.append(f"{job.error_count} row(s) with problems: their orders ({left_out} row(s)) "
                     "were not imported")
    return "; ".join(parts) + "."
