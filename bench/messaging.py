#!/usr/bin/env python
"""Messaging: how fast milestone messages are planned, claimed, rendered and "sent" through
the real pipeline, what a render costs next to raw Jinja2, and that MJML compiles once per
template version. Against a real PostgreSQL, Redis and Celery on loopback.

    own database (doorstep_bench_messaging) ──migrate──► tenant (default journey + templates),
        customers, orders (2 lines), shipments (2 items) per scenario round
    celery -A bench._messaging_celery worker -Q messages -c 2   (scenario 1; Redis db 12)

    1. pipeline  messages rendered and queued per second: N `shipped` messages planned
                 beforehand, then one messages_dispatch_due.delay(): the workers claim (SKIP
                 LOCKED, 100 a claim, a helper task on a backlog), check, render, store
                 `queued` and publish send tasks of 100 ids, until all are `queued`; and on
                 until all are `sent` (info). Information too: N `shipped` milestones
                 announced through the outbox (planning in this process) to `queued`/`sent`
                                          vs N no-op tasks, .delay() one per item, same workers
    2. render    µs per render_message (links signed, open pixel) and without `message=`
                                          vs the prepared HTML rendered raw by the same Jinja2
    3. mjml      MJML compiles per saved template version, however many renders (exactly 1)

Prints `scenario value baseline ratio` lines (comments start with `#`). Creates and drops its
own PostgreSQL database and deletes the Redis keys it made; the worker is stopped, also on
Ctrl-C. Bounded: about 1-1.5 minutes by default, under 30 s with --quick.

    .venv/bin/python bench/messaging.py [--quick] [--only pipeline,render,mjml] [--profile]
"""

from __future__ import annotations

import argparse
import gc
import os
import secrets
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import _harness as h  # noqa: E402

DATABASE_URL = os.environ.get("BENCH_MESSAGING_DATABASE_URL",
                              "postgres://postgres@127.0.0.1:5432/doorstep_bench_messaging")
# Its own Redis database (ingest.py uses 14): the Celery queues there are this run's alone.
REDIS_URL = os.environ.get("BENCH_MESSAGING_REDIS_URL", "redis://127.0.0.1:6379/12")
CELERY_KEYS = ("ingest", "default", "messages", "analytics", "unacked", "unacked_index",
               "unacked_mutex")
SCENARIOS = ("pipeline", "render", "mjml")
MILESTONE = "shipped"  # the default journey sends it by e-mail only: one message per shipment
TERMINAL = ("sent", "failed", "suppressed", "uncertain", "bounced")
PLACED_AT = datetime(2026, 3, 9, 10, 30, tzinfo=UTC)


def bench_env() -> dict[str, str]:
    """Production-like settings for every process of the run (this one included). No provider
    credentials and no SMTP host: every message goes to the dev outbox (no network)."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench._settings_messaging",
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "CELERY_BROKER_URL": REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "CACHE_KEY_PREFIX": "bench-messaging",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "SENDGRID_API_KEY": "", "TWILIO_ACCOUNT_SID": "", "TWILIO_AUTH_TOKEN": "",
        "EMAIL_HOST": "",
    }


def pg_dsn() -> str:
    return DATABASE_URL.replace("postgres://", "postgresql://", 1)


def dispatch_task_batch() -> int:
    from messaging import dispatch

    return dispatch.TASK_BATCH


def load_average() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


# --- set-up ----------------------------------------------------------------------------

class Fixture:
    tenant_id: int
    owner_id: int
    counter: int = 0


def setup() -> Fixture:
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from tenants import services

    began = time.monotonic()
    call_command("migrate", "--noinput", verbosity=0)
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
    fx = Fixture()
    suffix = secrets.token_hex(4)
    owner = get_user_model().objects.create_user(username=f"bench-{suffix}",
                                                 email=f"bench-{suffix}@bench.invalid")
    # tenant_created → default_journey_install: default templates (4 locales) and journey.
    tenant = services.tenant_create(name=f"Bench {suffix}", owner=owner, slug=f"bench-{suffix}")
    fx.tenant_id, fx.owner_id = tenant.pk, owner.pk
    print(f"# set-up: migrate + tenant with default journey in {time.monotonic() - began:.1f} s",
          flush=True)
    return fx


def tenant_of(fx: Fixture):
    from tenants.models import Tenant

    return Tenant.objects.get(pk=fx.tenant_id)


def shipments_create(fx: Fixture, count: int) -> list[int]:
    """`count` consenting shoppers, each with an order of two lines (a tent with a how-to
    link, a mat) and an in-transit DHL shipment carrying both; bulk-inserted, no signals (no
    milestone is announced: the scenarios plan the messages themselves). Returns shipment ids."""
    from orders.models import Customer, LineItem, Order, Product
    from tenants.context import tenant_scope
    from tracking.models import Shipment, ShipmentItem

    tenant = tenant_of(fx)
    base = fx.counter
    fx.counter += count
    with tenant_scope(tenant):
        tent, mat = Product.objects.bulk_create([
            Product(tenant=tenant, external_id=f"p-tent-{base}", sku=f"TENT-{base}",
                    title="Trail 2 Tent", price=Decimal("249.00"), currency="EUR",
                    category="Tents", url="https://shop.example.com/products/trail-2-tent",
                    image_url="https://cdn.example.com/tent.jpg",
                    content_links=[{"kind": "video", "title": "Pitch it in five minutes",
                                    "url": "https://shop.example.com/how-to/tent"}]),
            Product(tenant=tenant, external_id=f"p-mat-{base}", sku=f"MAT-{base}",
                    title="Cloud Sleeping Mat", price=Decimal("39.50"), currency="EUR",
                    category="Sleeping", url="https://shop.example.com/products/cloud-mat",
                    image_url="https://cdn.example.com/mat.jpg")])
        ids: list[int] = []
        for start in range(base, base + count, 1000):
            numbers = range(start, min(base + count, start + 1000))
            customers = Customer.objects.bulk_create([
                Customer(tenant=tenant, external_id=f"c-{n}", email=f"shopper{n}@example.com",
                         first_name="Sam", last_name="Rivera", phone="+4915112345678")
                for n in numbers])
            orders = Order.objects.bulk_create([
                Order(tenant=tenant, external_id=f"o-{n}", number=f"#{10000 + n}", customer=c,
                      placed_at=PLACED_AT, currency="EUR", subtotal=Decimal("328.00"),
                      shipping=Decimal("4.90"), total=Decimal("332.90"),
                      promised_delivery_date=date(2026, 3, 12),
                      shipping_address={"name": "Sam Rivera", "city": "Berlin",
                                        "country_code": "DE"})
                for n, c in zip(numbers, customers, strict=True)])
            lines = LineItem.objects.bulk_create([
                LineItem(tenant=tenant, order=o, position=position, product=product,
                         sku=product.sku, title=product.title, quantity=1,
                         unit_price=product.price)
                for o in orders for position, product in ((1, tent), (2, mat))])
            shipments = Shipment.objects.bulk_create([
                Shipment(tenant=tenant, order=o, carrier="DHL",
                         tracking_number=f"00340434{n:012d}", status="in_transit",
                         carrier_estimated_delivery=date(2026, 3, 13),
                         shipped_at=PLACED_AT + timedelta(days=1))
                for n, o in zip(numbers, orders, strict=True)])
            ShipmentItem.objects.bulk_create([
                ShipmentItem(tenant=tenant, shipment=s, line_item=line, quantity=1)
                for s, pair in zip(shipments, zip(lines[::2], lines[1::2], strict=True),
                                   strict=True) for line in pair])
            ids.extend(s.pk for s in shipments)
    return ids


def plan(fx: Fixture, shipment_ids: list[int]) -> list[int]:
    """Messages for the scenarios that do not time planning (render, mjml, profile): what the
    milestone receiver does for a batch, `messages_plan_many`, in one transaction. Returns
    the ids of the scheduled messages, in order."""
    from django.db import transaction

    from messaging.journeys.planning import MilestoneReached, messages_plan_many
    from tenants.context import tenant_scope
    from tracking.models import Shipment

    tenant = tenant_of(fx)
    now = datetime.now(UTC)
    with tenant_scope(tenant), transaction.atomic():
        shipments = list(Shipment.objects.filter(pk__in=shipment_ids)
                         .select_related("order__customer").order_by("pk"))
        messages = messages_plan_many(tenant, [
            MilestoneReached(MILESTONE, s.order, s, now) for s in shipments])
    return [m.pk for m in messages if m.status == "scheduled"]


def milestones_create(fx: Fixture, shipment_ids: list[int]) -> None:
    """Each shipment's `shipped` milestone row, not yet announced: what tracking writes in the
    transaction that moves the shipment (bulk-inserted here; ingestion is bench/ingest.py's)."""
    from tenants.context import tenant_scope
    from tracking.models import ShipmentMilestone

    tenant = tenant_of(fx)
    now = datetime.now(UTC)
    with tenant_scope(tenant):
        ShipmentMilestone.objects.bulk_create([
            ShipmentMilestone(tenant=tenant, shipment_id=pk, milestone=MILESTONE, occurred_at=now)
            for pk in shipment_ids])


# --- 1. pipeline vs trivial tasks ------------------------------------------------------

def analyze() -> None:
    """Table statistics for the fixtures just written (untimed), as autovacuum keeps them on a
    live database. Without them PostgreSQL plans the batch reads of a freshly filled table
    as if it were empty: a scan of every shipment of the tenant for a hundred ids. As the
    tables' owner (the bench's own connection): the app's role may not ANALYZE them, and
    PostgreSQL only warns when it skips one (with row-level security on, every one was
    skipped, and the dispatch read a hundred orders by scanning the tenant's, 30-60 ms)."""
    import psycopg

    with psycopg.connect(pg_dsn(), autocommit=True) as conn:
        conn.execute("ANALYZE")


def celery_ready(timeout: float = 60) -> None:
    from bench._messaging_celery import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if app.control.ping(timeout=1.0):
            return
    raise SystemExit("the Celery worker did not answer a ping")


def statuses(conn, fx: Fixture, shipment_ids: list[int]) -> dict[str, int]:
    rows = conn.execute(
        "SELECT status, count(*) FROM messaging_message WHERE tenant_id = %s "
        "AND shipment_id BETWEEN %s AND %s GROUP BY status",
        (fx.tenant_id, min(shipment_ids), max(shipment_ids))).fetchall()
    return dict(rows)


def pipeline_round(fx: Fixture, shipment_ids: list[int], conn, timeout: float) -> dict:
    """N unannounced `shipped` milestones (written beforehand, untimed), then timed: the
    outbox drain in this process (tracking's milestones_announce: batches of 100
    milestones, messages planned per batch, a dispatch task queued after each commit), and
    the workers' messages_dispatch_due (claim, check, render, store `queued`, send tasks
    published after commit). `queued` is when every message is past `scheduled`; `sent`
    when every one is in a final status. Polled every 10 ms on a separate connection."""
    from tenants.context import tenant_scope
    from tenants.outbox import outbox_drain
    from tracking.models import ShipmentMilestone

    n = len(shipment_ids)
    milestones_create(fx, shipment_ids)
    tenant = tenant_of(fx)
    collector_settle()
    began = time.perf_counter()
    with tenant_scope(tenant):
        announced = outbox_drain(tenant, ShipmentMilestone)
    announced_at = time.perf_counter()
    queued_at, sent_at, counts = _poll(conn, fx, shipment_ids, began, timeout)
    providers = _providers(conn, fx, shipment_ids)
    queued_s = (queued_at or time.perf_counter()) - began
    sent_s = (sent_at or time.perf_counter()) - began
    return {"messages": n, "announced": announced, "done": sent_at is not None,
            "announce": announced_at - began, "queued_s": queued_s, "sent_s": sent_s,
            "statuses": counts, "providers": providers, "rate": n / queued_s,
            "sent_rate": n / sent_s}


def dispatch_round(fx: Fixture, shipment_ids: list[int], conn, timeout: float) -> dict:
    """The render-and-queue stage alone: N `shipped` messages planned beforehand (untimed,
    `scheduled`, due), then timed from one messages_dispatch_due.delay() (what the beat or a
    planned batch sends) until every message is `queued` (claimed, checked, rendered, stored,
    send tasks published), and on until all are `sent` (information)."""
    from messaging.tasks import messages_dispatch_due

    n = len(shipment_ids)
    planned = len(plan(fx, shipment_ids))
    collector_settle()
    began = time.perf_counter()
    messages_dispatch_due.delay(fx.tenant_id)
    queued_at, sent_at, counts = _poll(conn, fx, shipment_ids, began, timeout)
    queued_s = (queued_at or time.perf_counter()) - began
    sent_s = (sent_at or time.perf_counter()) - began
    return {"messages": n, "planned": planned, "done": sent_at is not None,
            "queued_s": queued_s, "sent_s": sent_s, "statuses": counts,
            "providers": _providers(conn, fx, shipment_ids), "rate": n / queued_s,
            "sent_rate": n / sent_s}


def collector_settle() -> None:
    """Before each timed side: a full collection in this process now, untimed. Its untimed
    set-up (fixtures, planning) leaves enough objects behind that the next full collection,
    70-110 ms here, would otherwise fall inside whichever side came next and stall its
    publishing or polling."""
    gc.collect()


def _poll(conn, fx: Fixture, shipment_ids: list[int], began: float, timeout: float):
    """Every 10 ms on a separate connection, two index probes (the dispatcher's own index):
    is any message of the tenant still `scheduled`, still `queued` or `sending`? Rounds run
    one after the other and every message of the run is planned before polling starts, so
    none left means this round's are done. A GROUP BY over the round's rows took 3-4 ms a
    poll, a third of a core taken from the pipeline it watched; the counts are read once at
    the end instead, and checked."""
    deadline = time.monotonic() + timeout
    queued_at = sent_at = None
    while time.monotonic() < deadline:
        scheduled, unsent = conn.execute(_PENDING, (fx.tenant_id, fx.tenant_id)).fetchone()
        now = time.perf_counter()
        if queued_at is None and not scheduled:
            queued_at = now
        if not scheduled and not unsent:
            sent_at = now
            break
        time.sleep(0.01)
    return queued_at, sent_at, statuses(conn, fx, shipment_ids)


_PENDING = ("SELECT EXISTS (SELECT 1 FROM messaging_message WHERE tenant_id = %s "
            "AND status = 'scheduled'), EXISTS (SELECT 1 FROM messaging_message "
            "WHERE tenant_id = %s AND status IN ('queued', 'sending'))")


def _providers(conn, fx: Fixture, shipment_ids: list[int]) -> dict[str, int]:
    return dict(conn.execute(
        "SELECT provider, count(*) FROM messaging_message WHERE tenant_id = %s "
        "AND shipment_id BETWEEN %s AND %s GROUP BY provider",
        (fx.tenant_id, min(shipment_ids), max(shipment_ids))).fetchall())


def baseline_round(count: int, redis, timeout: float) -> dict:
    """`count` × bench_noop.delay(key) from this process, timed until the counter reaches
    `count` (polled every 5 ms)."""
    from bench._messaging_celery import bench_noop

    key = f"bench:noop:{secrets.token_hex(4)}"
    collector_settle()
    began = time.perf_counter()
    for _ in range(count):
        bench_noop.delay(key)
    published = time.perf_counter()
    deadline, done = time.monotonic() + timeout, 0
    while time.monotonic() < deadline:
        done = int(redis.get(key) or 0)
        if done >= count:
            break
        time.sleep(0.005)
    finished = time.perf_counter()
    redis.delete(key)
    return {"count": count, "done": done, "seconds": finished - began,
            "publish": published - began, "rate": done / (finished - began)}


def scenario_pipeline(fx: Fixture, args, children: h.Children, redis) -> dict:
    import psycopg

    n, rounds = args.messages, args.rounds
    warm = shipments_create(fx, args.warmup)
    warm_d = shipments_create(fx, args.warmup)
    batches = [(shipments_create(fx, n), shipments_create(fx, n)) for _ in range(rounds)]
    analyze()
    with tempfile.TemporaryFile("w+") as log:
        worker = children.spawn(
            [str(h.BIN / "celery"), "-A", "bench._messaging_celery", "worker", "-Q", "messages",
             "-c", str(args.concurrency), "--loglevel", "WARNING",
             "-n", f"bench-messaging-{os.getpid()}@%h"],
            env=bench_env(), stdout=log, stderr=subprocess.STDOUT)
        try:
            celery_ready()
            with psycopg.connect(pg_dsn(), autocommit=True) as conn:
                # Warm-up: imports, connections, each pool process's prepared-template cache
                # and compiled reads. More than one claim: with 40 messages only one process
                # dispatched, and the other compiled its templates inside the first timed
                # round (its first claim took twice as long; a long-lived worker is warm).
                warm_b = baseline_round(args.warmup * 5, redis, args.timeout)
                warm_p = pipeline_round(fx, warm, conn, args.timeout)
                warm_s = dispatch_round(fx, warm_d, conn, args.timeout)
                base, stage, pipe = [], [], []
                # Interleaved: baseline, render-and-queue stage, milestones to queued, …
                for stage_ids, full_ids in batches:
                    base.append(baseline_round(n, redis, args.timeout))
                    stage.append(dispatch_round(fx, stage_ids, conn, args.timeout))
                    pipe.append(pipeline_round(fx, full_ids, conn, args.timeout))
                    if not (base[-1]["done"] >= n and stage[-1]["done"] and pipe[-1]["done"]):
                        break  # stuck: stay bounded, report what was measured
        finally:
            children.stop(worker, timeout=30)
            log.seek(0)
            worker_errors = [line.rstrip() for line in log
                             if "Traceback" in line or "ERROR" in line or "CRITICAL" in line]
    return {"baseline": base, "stage": stage, "pipeline": pipe, "warm": (warm_b, warm_p, warm_s),
            "worker_errors": worker_errors}


# --- 2. render cost --------------------------------------------------------------------

def scenario_render(fx: Fixture, args) -> dict:
    """In this process (the worker is stopped): M planned messages, contexts loaded in bulk
    beforehand, then per round each of: raw Jinja2 over M, render_message(message=) over M,
    render_message() over M."""
    from messaging.models import JourneyRule, Message
    from messaging.rendering import contexts_for_many, render_message, template_version_current
    from messaging.rendering.render import _HEADER_SPLIT, html_template, prepared
    from tenants.context import tenant_scope

    tenant = tenant_of(fx)
    ids = plan(fx, shipments_create(fx, args.render_messages))
    with tenant_scope(tenant):
        messages = list(Message.objects.filter(pk__in=ids).order_by("pk"))
        for m in messages:
            m.tenant = tenant
        rule = JourneyRule.objects.select_related("template").get(trigger=MILESTONE,
                                                                  channel="email")
        version = template_version_current(rule.template, "en")
        began = time.perf_counter()
        contexts = contexts_for_many(tenant, messages)
        context_s = time.perf_counter() - began
    # The baseline: the same compiled HTML, compiled as render_message's is (the sandboxed
    # environment, so `date`, `money` exist; literal text beyond Latin-1 as references),
    # rendered with exactly the scope render_message gives the HTML (context + subject +
    # preheader, rendered here beforehand).
    raw = html_template(version.compiled_html)
    parts = prepared(version)
    scopes = []
    for m in messages:
        subject, _, preheader = parts.headers.render(contexts[m.pk]).partition(_HEADER_SPLIT)
        scopes.append({**contexts[m.pk], "subject": " ".join(subject.split()),
                       "preheader": " ".join(preheader.split())})
    # Same HTML out of both sides when no message is given (no links rewritten, no pixel).
    mismatched = sum(raw.render(s) != render_message(version, contexts[m.pk]).html
                     for s, m in zip(scopes, messages, strict=True))
    sample = render_message(version, contexts[messages[0].pk], message=messages[0])
    samples: dict[str, list[float]] = {"raw": [], "message": [], "plain": []}
    for _ in range(args.render_rounds):
        began = time.perf_counter()
        for scope in scopes:
            raw.render(scope)
        samples["raw"].append((time.perf_counter() - began) / len(scopes) * 1e6)
        began = time.perf_counter()
        for m in messages:
            render_message(version, contexts[m.pk], message=m)
        samples["message"].append((time.perf_counter() - began) / len(messages) * 1e6)
        began = time.perf_counter()
        for m in messages:
            render_message(version, contexts[m.pk])
        samples["plain"].append((time.perf_counter() - began) / len(messages) * 1e6)
    steps = render_steps(version, messages, contexts) if args.profile else None
    return {"samples": samples, "steps": steps, "messages": len(messages), "context_us": context_s
            / len(messages) * 1e6, "mismatched": mismatched, "links": len(sample.links),
            "html_kb": len(sample.html) / 1024, "template_kb": len(version.compiled_html) / 1024,
            "version": f"{rule.template.key} v{version.number} ({version.locale})"}


def render_steps(version, messages, contexts) -> dict[str, float]:
    """µs per message of each step render_message takes with `message=` (the same calls in
    the same order as messaging/rendering/render.py, timed one by one; --profile only)."""
    from messaging import links as link_tokens
    from messaging.rendering import render as r
    from messaging.rendering.plaintext import tidy_text

    parts = r.prepared(version)
    steps = dict.fromkeys(("scope + subject + preheader", "HTML", "text part + tidy_text",
                           "open pixel (+ signing)", "rewrite HTML links (+ signing), pixel",
                           "rewrite text links"), 0.0)
    names = list(steps)
    clock = [0.0]

    def lap(i: int) -> None:
        now = time.perf_counter()
        steps[names[i]] += now - clock[0]
        clock[0] = now

    for m in messages:
        clock[0] = time.perf_counter()
        scope, found = {**parts.globals, **contexts[m.pk]}, r._Links(m)
        subject, _, preheader = r._render(parts.headers, scope).partition(r._HEADER_SPLIT)
        scope["subject"], scope["preheader"] = " ".join(subject.split()), " ".join(
            preheader.split())
        lap(0)
        body = r._render(parts.html, scope)
        lap(1)
        text = tidy_text(r._render(parts.text, scope))
        lap(2)
        pixel = r._pixel(link_tokens.open_pixel_url(m))
        lap(3)
        body = r._rewrite_html(body, found, pixel)
        lap(4)
        r._rewrite_text(text, found)
        m.links = list(found)
        lap(5)
    return {name: seconds / len(messages) * 1e6 for name, seconds in steps.items()}


# --- 3. MJML once per version ----------------------------------------------------------

def scenario_mjml(fx: Fixture, args) -> dict:
    """K new versions of the shipped e-mail (each body a little different), saved through
    template_version_save; each rendered R times as saved, then R times more as read back
    from the database with the prepared-template cache emptied (what a fresh worker sees)."""
    from django.contrib.auth import get_user_model

    from messaging.models import JourneyRule, Message, TemplateVersion
    from messaging.rendering import (
        MJML_COMPILES,
        contexts_for_many,
        render_message,
        template_version_current,
        template_version_save,
    )
    from messaging.rendering.render import prepared_cache
    from tenants.context import tenant_scope

    tenant = tenant_of(fx)
    owner = get_user_model().objects.get(pk=fx.owner_id)
    ids = plan(fx, shipments_create(fx, 1))
    with tenant_scope(tenant):
        message = Message.objects.get(pk=ids[0])
        message.tenant = tenant
        context = contexts_for_many(tenant, [message])[message.pk]
        template = JourneyRule.objects.select_related("template").get(
            trigger=MILESTONE, channel="email").template
        base = template_version_current(template, "en")
        MJML_COMPILES.reset()
        began = time.perf_counter()
        versions = []
        for k in range(args.mjml_versions):
            body = base.body.replace("</mj-text>", f" <br>Edit {k}.</mj-text>", 1)
            versions.append(template_version_save(
                tenant, template, locale="en", subject=f"{base.subject} ({k})",
                preheader=base.preheader, body=body, text_body=base.text_body, actor=owner))
        save_s = time.perf_counter() - began
        after_save = MJML_COMPILES.total
        renders, began = 0, time.perf_counter()
        for version in versions:
            for _ in range(args.mjml_renders):
                render_message(version, context, message=message)
                renders += 1
        prepared_cache.clear()
        for version in versions:
            again = TemplateVersion.objects.select_related("template").get(pk=version.pk)
            for _ in range(args.mjml_renders):
                render_message(again, context, message=message)
                renders += 1
        render_s = time.perf_counter() - began
    return {"versions": len(versions), "compiles": MJML_COMPILES.total,
            "after_save": after_save, "renders": renders, "save_ms": save_s / len(versions) * 1e3,
            "render_us": render_s / renders * 1e6}


# --- profile ---------------------------------------------------------------------------

def profile_pipeline(fx: Fixture, args) -> None:
    """In this process, the pipeline's three stages one after the other: the announcement
    (planning), the dispatch (claim, check, render, store `queued`; send tasks collected, not
    published) and the sends (dispatch.messages_send per task's ids, as a worker does).
    Per stage: ms and SQL statements per message by table; then a cProfile of the dispatch."""
    import cProfile
    import io
    import pstats

    from django.db import connection

    from messaging import dispatch
    from messaging.models import Message
    from tenants.context import tenant_scope
    from tenants.outbox import outbox_drain
    from tracking.models import ShipmentMilestone

    count = 200 if args.quick else 600
    tenant = tenant_of(fx)
    shipment_ids = shipments_create(fx, count)
    milestones_create(fx, shipment_ids)
    analyze()
    counts: dict[str, dict[str, int]] = {"announce": {}, "dispatch": {}, "send": {}}
    seconds: dict[str, float] = {}
    phase = ["announce"]

    def counting(execute, sql, params, many, context):
        words = sql.replace('"', " ").split()
        table = next((w for w in words if "_" in w and w.split("_")[0] in (
            "messaging", "orders", "tracking", "tenants")), "")
        verb = words[0].upper()
        if verb == "SELECT" and "FOR UPDATE" in sql:
            verb = "SELECT…FOR UPDATE"
        key = f"{verb} {table}".strip()
        bucket = counts[phase[0]]
        bucket[key] = bucket.get(key, 0) + 1
        return execute(sql, params, many, context)

    queued: list[list[int]] = []
    original_sends_queue = dispatch._sends_queue
    dispatch._sends_queue = lambda tenant_id, ids: queued.append(ids)
    profiler, announcing = cProfile.Profile(), cProfile.Profile()
    dispatched = 0
    with tenant_scope(tenant):
        # The render and mjml scenarios planned messages they never sent: not this stage's.
        Message.objects.filter(status="scheduled").update(due_at=datetime(2100, 1, 1, tzinfo=UTC))
    try:
        with tenant_scope(tenant), connection.execute_wrapper(counting):
            began = time.perf_counter()
            announcing.enable()
            outbox_drain(tenant, ShipmentMilestone)
            announcing.disable()
            seconds["announce"] = time.perf_counter() - began
            phase[0] = "dispatch"
            began = time.perf_counter()
            profiler.enable()
            while claimed := dispatch.messages_dispatch_due(tenant):
                dispatched += claimed
            profiler.disable()
            seconds["dispatch"] = time.perf_counter() - began
            phase[0] = "send"
            began = time.perf_counter()
            for ids in queued:
                for start in range(0, len(ids), dispatch.TASK_BATCH):
                    dispatch.messages_send(tenant, ids[start:start + dispatch.TASK_BATCH])
            seconds["send"] = time.perf_counter() - began
    finally:
        dispatch._sends_queue = original_sends_queue
    n = len(shipment_ids)
    sent = sum(len(ids) for ids in queued)
    if not dispatched == sent == n:
        print(f"# profile: WRONG: {n} milestones, {dispatched} claimed, {sent} queued to send")
    print(f"# profile: {n} `shipped` milestones in-process, no other load: announced "
          "(outbox, planned per batch of 100), dispatched (claims of "
          f"{dispatch.CLAIM}: checked, rendered, stored `queued`; send tasks not published), "
          "then sent by dispatch.messages_send "
          f"per task's ids ({dispatch.TASK_BATCH}); announce and dispatch under cProfile "
          "(slower)")
    for name in ("announce", "dispatch", "send"):
        bucket = counts[name]
        total = sum(bucket.values())
        print(f"# profile {name}: {seconds[name] / n * 1e3:.3f} ms/message, "
              f"{total / n:.2f} statements/message: " + ", ".join(
                  f"{k} {v / n:.3f}" for k, v in sorted(bucket.items(), key=lambda kv: -kv[1])))
    for name, prof, order, pattern, limit in (
            ("announce", announcing, "cumulative", r"(messaging|tenants/outbox|"
             r"django/db/models/(query|base)|celery/app/task|psycopg/cursor)", 16),
            ("dispatch", profiler, "cumulative", r"(messaging|orders/services|tenants/services|"
             r"recommendations|django/db/models/(query|base)|jinja2/environment|psycopg/cursor)",
             30),
            ("dispatch", profiler, "tottime", "", 16)):
        out = io.StringIO()
        stats = pstats.Stats(prof, stream=out).sort_stats(order)
        stats.print_stats(pattern, limit) if pattern else stats.print_stats(limit)
        print(f"# profile {name}, by {order}:")
        for line in out.getvalue().splitlines():
            if line.strip() and not line.startswith(("   Ordered", "   List", "   Random")):
                print("#   " + line.replace(str(h.ROOT) + "/", "").replace(
                    ".venv/lib/python3.11/site-packages/", ""))


# --- main ------------------------------------------------------------------------------

def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="CI: 300 messages x 1 round, smaller render and MJML runs")
    parser.add_argument("--only", default=",".join(SCENARIOS),
                        help=f"comma-separated subset of {','.join(SCENARIOS)}")
    parser.add_argument("--profile", action="store_true",
                        help="also profile announce, dispatch, send in-process (# lines)")
    parser.add_argument("--messages", type=int, help="N per pipeline round [1000]")
    parser.add_argument("--rounds", type=int, help="interleaved pipeline/baseline rounds [5]")
    parser.add_argument("--warmup", type=int, default=250,
                        help="messages in the warm-up round: more than a full claim, so the "
                             "helper run warms the second pool process too [250]")
    parser.add_argument("--concurrency", type=int, default=2, help="celery -c (both sides)")
    parser.add_argument("--timeout", type=float, default=90,
                        help="most seconds one round may take to drain")
    parser.add_argument("--render-messages", type=int, help="M [500]")
    parser.add_argument("--render-rounds", type=int, help="[5]")
    parser.add_argument("--mjml-versions", type=int, help="K [10]")
    parser.add_argument("--mjml-renders", type=int, help="renders per version, twice [50]")
    args = parser.parse_args()
    quick = args.quick
    defaults = {"messages": 300 if quick else 1000, "rounds": 1 if quick else 5,
                "render_messages": 200 if quick else 500, "render_rounds": 3 if quick else 5,
                "mjml_versions": 3 if quick else 10, "mjml_renders": 20 if quick else 50}
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    args.only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(args.only) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    return args


def report(args, results: dict) -> int:
    status = 0
    print(f"# database: PostgreSQL {DATABASE_URL.rsplit('/', 1)[-1]} (created and dropped), "
          f"broker + cache: {REDIS_URL}, DEBUG off, send-rate caps lifted, no provider "
          f"credentials (dev outbox), {os.cpu_count()} CPUs, load average "
          f"{results['load_before']} before, {results['load_after']} after")
    lines = []
    if "pipeline" in results:
        r = results["pipeline"]
        base, stage, pipe = r["baseline"], r["stage"], r["pipeline"]
        print(f"# pipeline: {args.rounds} interleaved rounds of N={args.messages} (after a "
              f"{args.warmup}-message warm-up), celery -A bench._messaging_celery worker "
              f"-Q messages -c {args.concurrency} (late acks, prefetch 1) serving every side")
        print("# pipeline side (the target): messages rendered and queued. N `shipped` "
              "messages planned beforehand (untimed: `scheduled`, due now); timed from one "
              "messages_dispatch_due.delay() until every message is `queued`: the workers' "
              "dispatch claimed it (SKIP LOCKED, 100 a claim; a full claim asks a second "
              "worker to share the backlog), checked the batch (suppression, consent, "
              "preferences, relevance), loaded contexts in bulk, rendered with the prepared "
              "template (links signed, pixel), stored content + `queued` in one UPDATE and "
              f"published its send tasks ({dispatch_task_batch()} ids each) after commit")
        print("# milestones side (information): N unannounced `shipped` milestones written "
              "beforehand (untimed); timed from the start of the outbox announcement (this "
              "process, as an ingest worker: batches of 100, messages_plan_many per batch, a "
              "dispatch task queued after each commit) until every message is `queued`: "
              "planning and the stage above, overlapped. `…_to_sent` times both until every "
              "message is `sent` through the dev outbox (the send tasks run on the same "
              "workers meanwhile)")
        print("# baseline side: N x bench_noop.delay(key) from this process (one task per item, "
              "queue `messages`, same broker and workers), timed until the task's Redis INCR "
              "counter reaches N")
        for i, (b, d, p) in enumerate(zip(base, stage, pipe, strict=True), 1):
            print(f"# round {i}: baseline {b['done']}/{b['count']} in {b['seconds']:.2f} s "
                  f"(publish {b['publish']:.2f} s) = {b['rate']:.0f}/s; stage {d['messages']} "
                  f"msgs: all queued at {d['queued_s']:.2f} s = {d['rate']:.1f}/s, all sent at "
                  f"{d['sent_s']:.2f} s = {d['sent_rate']:.1f}/s, statuses {d['statuses']}; "
                  f"milestones: announced (planned) in {p['announce']:.2f} s, all queued at "
                  f"{p['queued_s']:.2f} s = {p['rate']:.1f}/s, all sent at {p['sent_s']:.2f} "
                  f"s = {p['sent_rate']:.1f}/s, statuses {p['statuses']}")
        if len(pipe) < args.rounds:
            print(f"# pipeline: stopped after round {len(pipe)}: a round did not drain within "
                  f"--timeout {args.timeout:g} s")
            status = 1
        warm_b, warm_p, warm_s = r["warm"]
        wrong = [p for p in pipe + [warm_p]
                 if not p["done"] or p["statuses"].get("sent", 0) != p["messages"]
                 or p["announced"] != p["messages"] or set(p["providers"]) != {"outbox"}]
        wrong += [d for d in stage + [warm_s]
                  if not d["done"] or d["statuses"].get("sent", 0) != d["messages"]
                  or d["planned"] != d["messages"] or set(d["providers"]) != {"outbox"}]
        short = [b for b in base if b["done"] < b["count"]]
        if wrong or short:
            print(f"# pipeline: WRONG: {len(wrong)} rounds not all sent via the outbox "
                  f"(or announced/planned != N), {len(short)} baseline rounds not drained")
            status = 1
        if r["worker_errors"]:
            print(f"# pipeline: worker log has {len(r['worker_errors'])} error lines, first: "
                  f"{r['worker_errors'][0]}")
            status = 1
        print("# pipeline: target ratio >= 5 for pipeline_msgs_per_s (messages rendered and "
              "queued); the other two lines are information")
        baseline = h.median(b["rate"] for b in base)
        lines.append(("pipeline_msgs_per_s", h.median(d["rate"] for d in stage), baseline, 1))
        lines.append(("pipeline_to_sent_msgs_per_s", h.median(d["sent_rate"] for d in stage),
                      baseline, 1))
        lines.append(("milestones_to_queued_msgs_per_s", h.median(p["rate"] for p in pipe),
                      baseline, 1))
        lines.append(("milestones_to_sent_msgs_per_s", h.median(p["sent_rate"] for p in pipe),
                      baseline, 1))
    if "render" in results:
        r = results["render"]
        s = r["samples"]
        print(f"# render: {r['messages']} messages x {args.render_rounds} interleaved rounds, "
              f"{r['version']}: compiled template {r['template_kb']:.1f} kB, rendered e-mail "
              f"{r['html_kb']:.1f} kB with {r['links']} tracked links; contexts loaded "
              f"beforehand by contexts_for_many ({r['context_us']:.0f} us/message, not in "
              "either side)")
        print("# render side: render_message(version, context, message=m): subject+preheader, "
              "HTML, text part (+ tidy), links rewritten to signed click URLs, open pixel; "
              "render_no_message: the same without message= (no signing, no pixel)")
        print("# baseline side: the version's compiled HTML compiled once as render_message's "
              "is (html_template: sandboxed send_env with filters date, money; literal text "
              "beyond Latin-1 as references), .render() of the same scope; raw HTML is "
              f"byte-identical to render_message()'s in {r['messages'] - r['mismatched']}/"
              f"{r['messages']} messages")
        print("# render: per-round us/message raw " + " ".join(f"{x:.0f}" for x in s["raw"])
              + "; with message " + " ".join(f"{x:.0f}" for x in s["message"])
              + "; without " + " ".join(f"{x:.0f}" for x in s["plain"]))
        if r["steps"]:
            print("# profile render_message(message=), us/message: " + ", ".join(
                f"{name} {us:.0f}" for name, us in r["steps"].items()))
        if r["mismatched"]:
            status = 1
        print("# render: target ratio <= 3")
        raw = h.median(s["raw"])
        lines.append(("render_us_per_msg", h.median(s["message"]), raw, 0))
        lines.append(("render_no_message_us_per_msg", h.median(s["plain"]), raw, 0))
    if "mjml" in results:
        r = results["mjml"]
        print(f"# mjml: MJML_COMPILES reset, {r['versions']} versions saved with "
              f"template_version_save ({r['save_ms']:.0f} ms each: check + compile + CSS "
              f"inline), {r['after_save']} compiles after saving; then {r['renders']} renders "
              f"({args.mjml_renders} per version as saved, {args.mjml_renders} more read back "
              f"with the prepared cache emptied; {r['render_us']:.0f} us each): "
              f"{r['compiles']} compiles in all; must be exactly 1 per version")
        if r["compiles"] != r["versions"]:
            status = 1
        lines.append(("mjml_compiles_per_version", r["compiles"] / r["versions"], 1.0, 3))
    h.print_header()
    for name, value, base, digits in lines:
        h.print_line(name, value, base, digits)
    return status


def main() -> int:
    args = parse_args()
    h.sigterm_as_interrupt()
    os.environ.update(bench_env())
    results: dict = {"load_before": load_average()}
    with h.redis_run_lock(REDIS_URL, "messaging") as redis, h.Children() as children:
        redis.delete(*CELERY_KEYS)
        h.database_create(DATABASE_URL)
        try:
            fx = setup()
            if "pipeline" in args.only:
                results["pipeline"] = scenario_pipeline(fx, args, children, redis)
            children.stop_all()  # the CPUs to this process alone
            if "render" in args.only:
                results["render"] = scenario_render(fx, args)
            if "mjml" in args.only:
                results["mjml"] = scenario_mjml(fx, args)
            if args.profile:
                profile_pipeline(fx, args)
        finally:
            children.stop_all()
            from django.db import connections

            connections.close_all()
            h.database_drop(DATABASE_URL)
    results["load_after"] = load_average()
    return report(args, results)


if __name__ == "__main__":
    sys.exit(main())
