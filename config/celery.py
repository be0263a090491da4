"""The Celery app: queues per DESIGN.md, late acks, periodic jobs from `beat_schedule`."""

import gc
import os

from celery import Celery
from celery.signals import task_postrun, task_prerun, worker_process_init, worker_ready
from kombu import Queue

from config.env import env_int

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("doorstep")
app.config_from_object("django.conf:settings", namespace="CELERY")

app.conf.update(
    task_queues=[Queue(name, routing_key=name) for name in ("ingest", "messages", "default", "analytics")],
    task_default_queue="default",
    # Route by app: each app's tasks land on its queue; unnamed apps go to `default`.
    task_routes={
        "tracking.*": {"queue": "ingest"},
        "orders.*": {"queue": "ingest"},
        "messaging.*": {"queue": "messages"},
        "analytics.*": {"queue": "analytics"},
    },
    # A task is acknowledged after it ran, so a worker that dies mid-task leaves it queued;
    # tasks are idempotent for this reason.
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_serializer="json",
    accept_content=["json"],
    timezone="UTC",
    worker_hijack_root_logger=False,
    broker_connection_retry_on_startup=True,
    # Publishing must not hang a web request when the broker is down: give up fast, the
    # periodic sweeps pick the stored work up later.
    task_publish_retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.2,
                               "interval_max": 0.5},
    beat_schedule={
        "tracking-sweep": {"task": "tracking.tasks.tracking_sweep",
                           "schedule": env_int("INGEST_SWEEP_SECONDS", 60)},
        "orders-sweep": {"task": "orders.tasks.orders_sweep",
                         "schedule": env_int("INGEST_SWEEP_SECONDS", 60)},
        # Return milestones left unannounced, and refunds past their due day (returns/tasks.py).
        "returns-sweep": {"task": "returns.tasks.returns_sweep", "schedule": 15 * 60},
        # Stalled and late shipments (tracking/silence.py); thresholds are hours, so 15 min is fine.
        "silence-check": {"task": "tracking.tasks.silence_check_all", "schedule": 15 * 60,
                          "options": {"queue": "ingest"}},
        # Due messages are rows (delays, quiet hours, retries), claimed in batches: the
        # period bounds how late a "send now" message may be.
        "messages-dispatch": {"task": "messaging.tasks.messages_dispatch_all", "schedule": 10},
        # Stuck `sending` → `uncertain`; `queued` whose task was lost → queued again.
        "messages-sweep": {"task": "messaging.tasks.messages_sweep_all",
                           "schedule": env_int("MESSAGING_SWEEP_SECONDS", 60)},
        # Tracking-page views counted in Redis, added to the daily rows (tracking/pageviews.py).
        "page-views-flush": {"task": "tracking.tasks.page_views_flush",
                             "schedule": env_int("PAGE_VIEWS_FLUSH_SECONDS", 60)},
        # Recommended products of the orders whose tracking pages asked for them
        # (tracking/public/tasks.py): the period bounds how soon a page shows them.
        "page-picks-fill": {"task": "tracking.tasks.page_picks_fill_due",
                            "schedule": env_int("PAGE_PICKS_FILL_SECONDS", 10)},
        # Stored webhook bodies past their retention (WEBHOOK_*RETENTION_DAYS), hourly.
        "webhook-bodies-purge": {"task": "tenants.tasks.inbound_purge_all", "schedule": 3600},
        # Analytics rollups from the rows changed since the last run (analytics/rollups).
        "analytics-rollups": {"task": "analytics.tasks.rollups_update_all",
                              "schedule": env_int("ANALYTICS_ROLLUP_SECONDS", 300)},
        # What each store's orders say goes together (recommendations/learning.py), nightly.
        "recommendations-recompute": {
            "task": "recommendations.tasks.associations_recompute_all",
            "schedule": env_int("RECOMMENDATIONS_RECOMPUTE_SECONDS", 24 * 3600)},
        "invitations-expire": {
            "task": "tenants.tasks.invitations_expire",
            "schedule": 15 * 60,
        },
    },
)
app.autodiscover_tasks()


@app.on_after_finalize.connect
def demo_schedule(sender: Celery, **kwargs) -> None:
    """The demo's moving parcels (tracking/demo_live.py), scheduled only where
    DEMO_LIVE_PARCELS is on. Here, not in `beat_schedule` above: Django's settings can be
    read only once the app is finalized (worker and beat do it before reading the schedule)."""
    from django.conf import settings

    if settings.DEMO_LIVE_PARCELS:
        sender.conf.beat_schedule["demo-live-parcels"] = {
            # Checked every 20 s, a scan due each minute (demo_live.STEP) goes out on time.
            "task": "tracking.tasks.demo_live_parcels_advance_all", "schedule": 20,
            "options": {"queue": "ingest"}}


@worker_process_init.connect
@worker_ready.connect
def gc_freeze(**kwargs) -> None:
    """Each pool process, just after the fork, and the worker's own process once it is ready
    to consume: what it loaded until then (Django, the apps, every task module: 100,000
    objects and more) is never garbage, so the cyclic collector stops rescanning it. In a
    pool process its rescans cost the dispatcher 7% of its time on a batch's churn of dicts
    and rows (measured in-process: 515 µs a message before, 480 after); in the worker's own
    process, which receives every task and hands it to the pool, each full collection
    stopped deliveries for 40-90 ms."""
    gc.freeze()


@task_prerun.connect
@task_postrun.connect
def db_connections_tidy(sender=None, **kwargs) -> None:
    """Around each task, Django's rule for requests: a connection older than
    DATABASE_CONN_MAX_AGE, or broken, is closed (the next query opens a new one, after a
    health check of the old one if it is kept). Not for an eager task: it runs inside its
    caller's request or transaction."""
    if getattr(getattr(sender, "request", None), "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()
