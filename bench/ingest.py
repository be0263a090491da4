#!/usr/bin/env python
"""Tracking ingestion: how fast carrier webhooks and generic event batches are accepted,
stored and applied, against a real gunicorn, Celery and PostgreSQL on loopback.

    own database (doorstep_bench) ──migrate──► tenant, API key, EasyPost secret, shipments
    gunicorn :free port, 2 workers ◄── keep-alive client threads (this process)
    celery -A config worker -Q ingest,default -c 2  (scenario 2 only; Redis db 14)

    1. webhook   signed single-event EasyPost webhooks/s      vs POST to a no-op view
    2. e2e       events/s from POST to stored + applied + milestones, 60 s at a fixed
                 offered rate, with the `ingest` queue length sampled
    3. batch     events/s accepted by POST /api/v1/tracking-events/ (1,000 a request)
                                                              vs raw INSERT … ON CONFLICT
    4. dedup     100,000 events applied 3 times in random order leave 100,000 rows

Prints `scenario value baseline ratio` lines (comments start with `#`). Creates and drops its
own PostgreSQL database and deletes the Redis keys it made; every child process is stopped,
also on Ctrl-C. Bounded: about 3-4 minutes by default, well under a minute with --quick.

    .venv/bin/python bench/ingest.py [--quick] [--only webhook,batch,e2e,dedup] [--profile]
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import multiprocessing
import os
import random
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import _harness as h  # noqa: E402

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL",
                              "postgres://postgres@127.0.0.1:5432/doorstep_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
# Celery's Redis transport keeps these keys; a killed run may have left them behind.
CELERY_KEYS = ("ingest", "default", "messages", "analytics", "unacked", "unacked_index",
               "unacked_mutex")
SCENARIOS = ("webhook", "batch", "e2e", "dedup")

# One shipment's life in the end-to-end scenario (10 events, 4 milestones).
LIFE = ["pending"] + ["in_transit"] * 7 + ["out_for_delivery", "delivered"]
BASE_TIME = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def bench_env() -> dict[str, str]:
    """Production-like settings for every process of the run (this one included)."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench._settings",
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "CELERY_BROKER_URL": REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "CACHE_KEY_PREFIX": "bench-ingest",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        # One key sends everything here; the per-key limit would turn the bench into 429s.
        "API_RATE_LIMIT": str(10**9),
    }


# --- set-up ----------------------------------------------------------------------------

class Fixture:
    tenant_id: int
    owner_id: int
    slug: str
    api_key: str
    webhook_secret: str


def setup() -> Fixture:
    tenant, owner = h.bench_store()
    from tenants import services
    from tenants.context import tenant_scope
    from tenants.permissions import ApiKeyScope

    fx = Fixture()
    fx.webhook_secret = "whsec-" + secrets.token_hex(16)
    with tenant_scope(tenant):
        _, fx.api_key = services.api_key_create(tenant, name="bench", scope=ApiKeyScope.READ_WRITE,
                                                actor=owner)
        services.credential_set(tenant, "easypost", {"webhook_secret": fx.webhook_secret},
                                actor=owner)
    fx.tenant_id, fx.owner_id, fx.slug = tenant.pk, owner.pk, tenant.slug
    return fx


def shipments_create(tenant_id: int, prefix: str, count: int) -> None:
    from tenants.context import tenant_scope
    from tenants.models import Tenant
    from tracking.models import Shipment

    tenant = Tenant.objects.get(pk=tenant_id)
    with tenant_scope(tenant):
        for start in range(0, count, 5000):
            Shipment.objects.bulk_create([
                Shipment(tenant=tenant, carrier="UPS", tracking_number=f"{prefix}{i:08d}")
                for i in range(start, min(count, start + 5000))])


def pg_dsn() -> str:
    return DATABASE_URL.replace("postgres://", "postgresql://", 1)


# --- 1. webhooks -----------------------------------------------------------------------

def easypost_body(n: int) -> bytes:
    at = BASE_TIME + timedelta(seconds=n)
    return json.dumps({
        "id": f"evt_bench{n:012d}", "object": "Event", "mode": "production",
        "description": "tracker.updated", "created_at": at.isoformat(),
        "result": {
            "id": f"trk_bench{n:012d}", "object": "Tracker", "mode": "production",
            "tracking_code": f"EZBENCH{n:010d}", "carrier": "UPS", "status": "in_transit",
            "status_detail": "arrived_at_facility", "est_delivery_date": "2026-03-06T00:00:00Z",
            "carrier_detail": {"object": "CarrierDetail", "service": "Ground"},
            "tracking_details": [{
                "object": "TrackingDetail", "message": f"Arrived at facility {n}",
                "status": "in_transit", "status_detail": "arrived_at_facility",
                "datetime": at.isoformat().replace("+00:00", "Z"), "source": "UPS",
                "tracking_location": {"object": "TrackingLocation", "city": "Louisville",
                                      "state": "KY", "country": "US", "zip": "40201"}}],
        },
    }).encode()


def scenario_webhook(port: int, fx: Fixture, args) -> dict:
    from tracking.carriers.signatures import easypost_signature

    counter = itertools.count()

    def request_to(path: str) -> Callable:
        def make(client: int, n: int):
            body = easypost_body(next(counter))
            return ("POST", path, body, {"Content-Type": "application/json",
                                         "X-Hmac-Signature": easypost_signature(
                                             body, fx.webhook_secret)}), 1
        return make

    paths = {"noop": "/bench/noop-post", "webhook": f"/webhooks/easypost/{fx.slug}/"}
    ok = frozenset({202})
    for path in paths.values():  # warm-up: imports, connections, credential cache paths
        h.load(port, request_to(path), seconds=0.5, clients=args.clients, ok=ok)
    samples: dict[str, list[h.Sample]] = {name: [] for name in paths}
    for _ in range(args.rounds):
        for name, path in paths.items():
            samples[name].append(h.load(port, request_to(path), seconds=args.seconds,
                                        clients=args.clients, ok=ok))
    return samples


def discard_queued(scenario: str, fx: Fixture, redis) -> None:
    """Scenarios 1 and 3 measure acceptance only: what they queued is not processed later
    (the end-to-end scenario's drain would otherwise start on their backlog)."""
    import psycopg

    tasks = redis.llen("ingest")
    redis.delete("ingest", *redis.keys("*:tracking:drain:*"))
    with psycopg.connect(pg_dsn(), autocommit=True) as conn:
        bodies = conn.execute(
            "UPDATE tenants_inboundwebhook SET status = 'ignored', error = 'bench: not processed' "
            "WHERE tenant_id = %s AND status = 'queued'", (fx.tenant_id,)).rowcount
    print(f"# {scenario}: {bodies} queued bodies and {tasks} queued tasks discarded", flush=True)


# --- 3. batch API vs raw INSERT --------------------------------------------------------

STATUSES_CYCLE = ["in_transit", "in_transit", "out_for_delivery", "in_transit", "delivered"]


def batch_template(size: int) -> bytes:
    """1,000 events over 200 tracking numbers; `@@@@@@@@` is replaced by the request number,
    so every request carries new events (new dedup keys)."""
    events = []
    for i in range(size):
        at = BASE_TIME + timedelta(minutes=i)
        events.append({
            "tracking_number": f"1ZBATCH@@@@@@@@{i % 200:04d}", "carrier": "UPS",
            "status": STATUSES_CYCLE[i % len(STATUSES_CYCLE)],
            "occurred_at": at.isoformat().replace("+00:00", "Z"),
            "message": f"Scan {i} at hub", "event_id": f"ev{i}",
            "location": {"city": "Köln", "country": "DE"}})
    return json.dumps(events).encode()


def raw_rows(tenant_id: int, n: int, size: int, now: datetime):
    from psycopg.types.json import Jsonb

    tag = f"{n:08d}"
    rows = []
    for i in range(size):
        tn = f"1ZRAW{tag}{i % 200:04d}"
        status = STATUSES_CYCLE[i % len(STATUSES_CYCLE)]
        rows.extend((tenant_id, None, "generic", "UPS", tn, BASE_TIME + timedelta(minutes=i),
                     status, status, "", f"Scan {i} at hub", Jsonb({"city": "Köln", "country": "DE"}),
                     "", None, f"generic:{tn}:ev{i}", None, now))
    return rows


RAW_COLUMNS = (("tenant_id", "int8"), ("shipment_id", "int8"), ("source", "text"),
               ("carrier", "text"), ("tracking_number", "text"), ("occurred_at", "timestamptz"),
               ("status", "text"), ("source_code", "text"), ("source_subcode", "text"),
               ("message", "text"), ("location", "jsonb"), ("exception_cause", "text"),
               ("estimated_delivery", "date"), ("dedup_key", "text"), ("inbound_id", "int8"),
               ("created_at", "timestamptz"))
RAW_INSERT = (
    f"INSERT INTO tracking_trackingevent ({', '.join(c for c, _ in RAW_COLUMNS)}) "
    f"SELECT * FROM unnest({', '.join(f'%s::{t}[]' for _, t in RAW_COLUMNS)}) "
    "ON CONFLICT (tenant_id, dedup_key) DO NOTHING")


def raw_insert_load(tenant_id: int, size: int, seconds: float, clients: int,
                    counter: itertools.count) -> h.Sample:
    """The floor under the batch API: each client thread inserts `size` rows per statement
    (one INSERT … SELECT FROM unnest(column arrays) ON CONFLICT DO NOTHING, then COMMIT) on its
    own connection. (Multi-row VALUES and executemany measured 2-3x slower here.)"""
    import psycopg

    width = len(RAW_COLUMNS)
    sample, lock = h.Sample(seconds=seconds), threading.Lock()
    stop_at = time.monotonic() + seconds

    def client() -> None:
        done = 0
        with psycopg.connect(pg_dsn()) as conn:
            while time.monotonic() < stop_at:
                flat = raw_rows(tenant_id, next(counter), size, datetime.now(UTC))
                conn.execute(RAW_INSERT, [flat[i::width] for i in range(width)])
                conn.commit()
                done += 1
        with lock:
            sample.requests += done
            sample.units += done * size

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sample


def scenario_batch(port: int, fx: Fixture, args) -> dict:
    size = 1000
    template = batch_template(size)
    api_counter, raw_counter = itertools.count(), itertools.count()
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {fx.api_key}"}

    def api_request(client: int, n: int):
        body = template.replace(b"@@@@@@@@", b"%08d" % next(api_counter))
        return ("POST", "/api/v1/tracking-events/", body, headers), size

    ok = frozenset({202})
    h.load(port, api_request, seconds=0.5, clients=args.batch_clients, ok=ok)  # warm-up
    raw_insert_load(fx.tenant_id, size, 0.5, args.batch_clients, raw_counter)
    samples: dict[str, list[h.Sample]] = {"raw_insert": [], "batch_api": []}
    for _ in range(args.rounds):
        samples["raw_insert"].append(raw_insert_load(fx.tenant_id, size, args.seconds,
                                                     args.batch_clients, raw_counter))
        samples["batch_api"].append(h.load(port, api_request, seconds=args.seconds,
                                           clients=args.batch_clients, ok=ok))
    return samples


# --- 2. end to end ---------------------------------------------------------------------

class E2EPlan:
    """Which events request k carries: shipments in groups of batch/per_shipment, each group
    getting its next `per_shipment` events every `window` requests, so a shipment is updated
    every couple of seconds (as a carrier would), never by two requests at once."""

    def __init__(self, batch: int, per_shipment: int, window: int = 8):
        assert len(LIFE) % per_shipment == 0 and batch % per_shipment == 0
        self.batch, self.per_shipment, self.window = batch, per_shipment, window
        self.group_size = batch // per_shipment
        self.phases = len(LIFE) // per_shipment

    def locate(self, k: int) -> tuple[int, int]:
        rnd, slot = divmod(k, self.window)
        group = (rnd // self.phases) * self.window + slot
        return group, rnd % self.phases

    def shipments_needed(self, requests: int) -> int:
        return (self.locate(requests)[0] + self.window + 1) * self.group_size

    def body(self, k: int) -> bytes:
        group, phase = self.locate(k)
        events = []
        for s in range(group * self.group_size, (group + 1) * self.group_size):
            tn = f"1ZE2E{s:08d}"
            for j in range(phase * self.per_shipment, (phase + 1) * self.per_shipment):
                at = BASE_TIME + timedelta(minutes=s % 600, hours=j * 3)
                events.append({"tracking_number": tn, "carrier": "UPS", "status": LIFE[j],
                               "occurred_at": at.isoformat().replace("+00:00", "Z"),
                               "message": f"{LIFE[j]} scan {j}", "event_id": f"s{j}",
                               "location": {"city": "Memphis", "state": "TN", "country": "US"}})
        return json.dumps(events).encode()


def expected_milestones() -> set[str]:
    from tracking.statuses import milestones_for_transition, status_transition_allowed

    status, reached = None, set()
    for new in LIFE:
        if status_transition_allowed(status, new):
            reached.update(milestones_for_transition(status, new))
            status = new
    return {str(m) for m in reached}


def celery_ready(timeout: float = 60) -> None:
    from config.celery import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if app.control.ping(timeout=1.0):
            return
    raise SystemExit("the Celery worker did not answer a ping")


def scenario_e2e(port: int, fx: Fixture, args, children: h.Children, redis) -> dict:
    import psycopg

    plan = E2EPlan(args.e2e_batch, args.e2e_per_shipment)
    interval = args.e2e_clients * args.e2e_batch / args.e2e_rate  # per client
    requests = int(args.e2e_seconds * args.e2e_rate / args.e2e_batch) + args.e2e_clients
    shipments_create(fx.tenant_id, "1ZE2E", plan.shipments_needed(requests))
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {fx.api_key}"}
    sent: list[int] = []
    bodies: dict[int, bytes] = {}

    def make(client: int, n: int):
        k = n * args.e2e_clients + client
        sent.append(k)
        return ("POST", "/api/v1/tracking-events/", bodies.pop(k), headers), args.e2e_batch

    for k in range(requests):  # built beforehand: the clients only send
        bodies[k] = plan.body(k)

    with psycopg.connect(pg_dsn(), autocommit=True) as conn:
        first_id = conn.execute("SELECT coalesce(max(id), 0) FROM tenants_inboundwebhook"
                                ).fetchone()[0]
    # The worker's banner and warnings, kept off our output.
    with tempfile.TemporaryFile("w+") as log:
        worker = children.spawn(
            [str(h.BIN / "celery"), "-A", "config", "worker", "-Q", "ingest,default", "-c",
             str(args.e2e_concurrency), "--loglevel", "WARNING", "-n", f"bench-ingest-{os.getpid()}@%h"],
            env=bench_env(), stdout=log, stderr=subprocess.STDOUT)
        celery_ready()

        # (seconds since start, LLEN ingest, events applied, bodies waiting)
        series: list[tuple[float, int, int, int]] = []
        stop_sampling = threading.Event()
        started = time.monotonic()

        def applied(conn) -> int:
            return conn.execute(
                "SELECT coalesce(sum(events_created), 0) FROM tenants_inboundwebhook "
                "WHERE tenant_id = %s AND status = 'processed' AND id > %s",
                (fx.tenant_id, first_id)).fetchone()[0]

        def waiting(conn) -> int:
            return conn.execute(
                "SELECT count(*) FROM tenants_inboundwebhook WHERE tenant_id = %s "
                "AND id > %s AND status IN ('queued', 'received')",
                (fx.tenant_id, first_id)).fetchone()[0]

        def sampler() -> None:
            with psycopg.connect(pg_dsn(), autocommit=True) as conn:
                while not stop_sampling.is_set():
                    series.append((time.monotonic() - started, redis.llen("ingest"), applied(conn),
                                   waiting(conn)))
                    stop_sampling.wait(0.5)

        sampling = threading.Thread(target=sampler, daemon=True)
        sampling.start()
        try:
            sample = h.load(port, make, seconds=args.e2e_seconds, clients=args.e2e_clients,
                            ok=frozenset({202}), interval=interval)
            window_end = time.monotonic() - started
            # Drain: until every body sent is processed and the queue is empty, bounded.
            deadline, drained = time.monotonic() + args.e2e_drain, False
            with psycopg.connect(pg_dsn(), autocommit=True) as conn:
                while time.monotonic() < deadline:
                    queued = conn.execute(
                        "SELECT count(*) FROM tenants_inboundwebhook WHERE tenant_id = %s "
                        "AND id > %s AND status IN ('queued', 'received')",
                        (fx.tenant_id, first_id)).fetchone()[0]
                    if not queued and not redis.llen("ingest") and not redis.hlen("unacked"):
                        drained = True
                        break
                    time.sleep(0.25)
                drained_at = time.monotonic() - started
                stop_sampling.set()
                sampling.join()
                total_applied = applied(conn)
                check = verify_e2e(conn, fx.tenant_id, first_id)
        finally:
            stop_sampling.set()
            children.stop(worker, timeout=30)
            log.seek(0)
            worker_errors = [line.rstrip() for line in log
                             if "Traceback" in line or "ERROR" in line or "CRITICAL" in line]

    in_window = [s for s in series if s[0] <= window_end]
    applied_in_window = in_window[-1][2] if in_window else 0
    return {"sample": sample, "series": series, "window": window_end, "drained_at": drained_at,
            "applied_in_window": applied_in_window, "total_applied": total_applied,
            "check": check, "interval": interval, "plan": plan, "drained": drained,
            "worker_errors": worker_errors}


def verify_e2e(conn, tenant_id: int, first_id: int) -> dict:
    """Every event sent is a row; every shipment that got its whole life is delivered, with
    exactly the milestones the fold must produce."""
    expected = expected_milestones()
    stored = conn.execute(
        "SELECT count(*) FROM tracking_trackingevent WHERE tenant_id = %s "
        "AND tracking_number LIKE '1ZE2E%%'", (tenant_id,)).fetchone()[0]
    unattached = conn.execute(
        "SELECT count(*) FROM tracking_trackingevent WHERE tenant_id = %s "
        "AND tracking_number LIKE '1ZE2E%%' AND shipment_id IS NULL", (tenant_id,)).fetchone()[0]
    full = conn.execute(
        "SELECT count(*) FROM tracking_shipment s WHERE s.tenant_id = %s AND "
        "(SELECT count(*) FROM tracking_trackingevent e WHERE e.tenant_id = s.tenant_id "
        " AND e.shipment_id = s.id) = %s", (tenant_id, len(LIFE))).fetchone()[0]
    wrong = conn.execute(
        "SELECT count(*) FROM tracking_shipment s WHERE s.tenant_id = %s AND "
        "(SELECT count(*) FROM tracking_trackingevent e WHERE e.tenant_id = s.tenant_id "
        " AND e.shipment_id = s.id) = %s AND (s.status <> 'delivered' OR "
        " (SELECT array_agg(m.milestone ORDER BY m.milestone) FROM tracking_shipmentmilestone m "
        "  WHERE m.tenant_id = s.tenant_id AND m.shipment_id = s.id) <> %s)",
        (tenant_id, len(LIFE), sorted(expected))).fetchone()[0]
    failed = conn.execute(
        "SELECT count(*) FROM tenants_inboundwebhook WHERE tenant_id = %s AND id > %s "
        "AND status NOT IN ('processed')", (tenant_id, first_id)).fetchone()[0]
    return {"stored": stored, "unattached": unattached, "full_shipments": full,
            "wrong_shipments": wrong, "unprocessed_bodies": failed,
            "milestones": ",".join(sorted(expected))}


# --- 4. dedup --------------------------------------------------------------------------

def dedup_events(total: int, per_tracking: int) -> list[dict]:
    events = []
    for i in range(total):
        t, j = divmod(i, per_tracking)
        at = BASE_TIME + timedelta(minutes=j * 7)
        events.append({"tracking_number": f"1ZDEDUP{t:08d}", "carrier": "UPS",
                       "status": "in_transit" if j else "pending",
                       "occurred_at": at.isoformat().replace("+00:00", "Z"),
                       "message": f"Scan {j}", "event_id": f"d{j}"})
    return events


def dedup_worker(tenant_id: int, batches: list[bytes], queue) -> None:
    """One process applying its share of the replays through `updates_apply`, as the worker
    task does (parse the stored body, then apply)."""
    import django

    django.setup()
    from django.db import connection

    from tenants.context import tenant_scope
    from tenants.models import Tenant
    from tracking import services
    from tracking.carriers.generic import GenericEventParser

    tenant = Tenant.objects.get(pk=tenant_id)
    parser, created = GenericEventParser(), 0
    with tenant_scope(tenant):
        for body in batches:
            created += services.updates_apply(tenant, parser.parse(body))
    connection.close()
    queue.put(created)


def scenario_dedup(fx: Fixture, args) -> dict:
    """Every event 3 times, each replay independently shuffled, cut into batches and applied
    by `--dedup-procs` processes at once (so replays of one event also race each other)."""
    import psycopg

    events = dedup_events(args.dedup_events, args.dedup_per_tracking)
    numbers = math.ceil(len(events) / args.dedup_per_tracking)
    shipments_create(fx.tenant_id, "1ZDEDUP", max(1, numbers * args.dedup_with_shipments // 100))
    rng = random.Random(20260302)
    stream = []
    for _ in range(3):
        replay = list(events)
        rng.shuffle(replay)
        stream.extend(replay)
    batches = [json.dumps(stream[i:i + args.dedup_batch]).encode()
               for i in range(0, len(stream), args.dedup_batch)]
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    started = time.monotonic()
    procs = [ctx.Process(target=dedup_worker, args=(fx.tenant_id, batches[i::args.dedup_procs],
                                                    queue), daemon=True)
             for i in range(args.dedup_procs)]
    for proc in procs:
        proc.start()
    try:
        created = sum(queue.get(timeout=args.dedup_timeout) for _ in procs)
    finally:
        for proc in procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()
    seconds = time.monotonic() - started
    with psycopg.connect(pg_dsn(), autocommit=True) as conn:
        rows = conn.execute("SELECT count(*), count(DISTINCT dedup_key) FROM "
                            "tracking_trackingevent WHERE tenant_id = %s AND "
                            "tracking_number LIKE '1ZDEDUP%%'", (fx.tenant_id,)).fetchone()
    return {"events": len(events), "applied": len(stream), "rows": rows[0],
            "distinct": rows[1], "created": created, "seconds": seconds,
            "batches": len(batches)}


# --- profile ---------------------------------------------------------------------------

def profile_apply(fx: Fixture, args) -> None:
    """In this process, on e2e-shaped batches: the statements one update costs and a cProfile
    of `tracking.services.updates_apply`: where a worker's time goes."""
    import cProfile
    import io
    import pstats
    from contextlib import ExitStack

    from django.db import connection

    from tenants.context import tenant_scope
    from tenants.models import Tenant
    from tracking import services
    from tracking.carriers.generic import GenericEventParser

    plan = E2EPlan(args.e2e_batch, args.e2e_per_shipment)
    count = 20 if args.quick else 60
    variants = {"current": ("1ZPRA", services.updates_apply)}
    tenant = Tenant.objects.get(pk=fx.tenant_id)
    parser = GenericEventParser()
    stats = {name: {"seconds": 0.0, "updates": 0, "statements": {}} for name in variants}
    profiler = cProfile.Profile()
    current: dict = {}

    def counting(execute, sql, params, many, context):
        words = sql.replace('"', " ").split()
        table = next((w for w in words if w.startswith("tracking_")), "")
        key = f"{words[0]} {'COUNT ' if 'COUNT(' in sql else ''}{table}".strip()
        current[key] = current.get(key, 0) + 1
        return execute(sql, params, many, context)

    for prefix, _ in variants.values():
        shipments_create(fx.tenant_id, prefix, plan.shipments_needed(count))
    bodies = [plan.body(k) for k in range(count)]
    with tenant_scope(tenant), ExitStack() as stack:
        stack.enter_context(connection.execute_wrapper(counting))
        for body in bodies:
            for name, (prefix, apply) in variants.items():
                updates = parser.parse(body.replace(b"1ZE2E", prefix.encode()))
                current.clear()
                if name == "current":
                    profiler.enable()
                began = time.perf_counter()
                apply(tenant, updates)
                stats[name]["seconds"] += time.perf_counter() - began
                if name == "current":
                    profiler.disable()
                stats[name]["updates"] += len(updates)
                for key, n in current.items():
                    stats[name]["statements"][key] = stats[name]["statements"].get(key, 0) + n
    events = count * args.e2e_batch
    for name, st in stats.items():
        total = sum(st["statements"].values())
        print(f"# profile {name}: {events} events in {st['updates']} updates, "
              f"{st['seconds']:.2f} s in one process = {events / st['seconds']:.0f} events/s, "
              f"{total / st['updates']:.1f} statements per update")
        print("#   " + ", ".join(f"{k} {n / st['updates']:.2f}" for k, n in
                                  sorted(st["statements"].items(), key=lambda kv: -kv[1])))
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(
        r"(tracking|django/db/models/(query|sql/compiler)|psycopg/(cursor|connection))", 18)
    for line in out.getvalue().splitlines():
        if line.strip() and not line.startswith(("   Ordered", "   List")):
            print("#   " + line.replace(str(h.ROOT) + "/", "").replace(
                ".venv/lib/python3.11/site-packages/", ""))


# --- main ------------------------------------------------------------------------------

def load_average() -> str:
    """Other work on the machine skews every absolute number here: say how busy it was."""
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="CI: about 2 s per scenario, 5,000 dedup events")
    parser.add_argument("--only", default=",".join(SCENARIOS),
                        help=f"comma-separated subset of {','.join(SCENARIOS)}")
    parser.add_argument("--profile", action="store_true",
                        help="also cProfile updates_apply in-process (prints # lines)")
    parser.add_argument("--seconds", type=float, help="per round, scenarios 1 and 3 [3]")
    parser.add_argument("--rounds", type=int, help="interleaved rounds, scenarios 1 and 3 [3]")
    parser.add_argument("--clients", type=int, default=4, help="webhook client threads")
    parser.add_argument("--workers", type=int, default=2,
                        help="gunicorn sync workers, both sides (production default: 3)")
    parser.add_argument("--batch-clients", type=int, default=2,
                        help="concurrent batch requests / raw-insert connections")
    parser.add_argument("--e2e-seconds", type=float, help="sustained load [60]")
    parser.add_argument("--e2e-rate", type=float, default=1000.0,
                        help="offered events/s (the target)")
    parser.add_argument("--e2e-batch", type=int, default=250, help="events per request")
    parser.add_argument("--e2e-per-shipment", type=int, default=5,
                        help="events per shipment in one request (divides 10)")
    parser.add_argument("--e2e-clients", type=int, default=2)
    parser.add_argument("--e2e-concurrency", type=int, default=2, help="celery -c")
    parser.add_argument("--e2e-drain", type=float, help="max seconds to drain after the load [30]")
    parser.add_argument("--dedup-events", type=int, help="distinct events [100000]")
    parser.add_argument("--dedup-per-tracking", type=int, default=2000,
                        help="events per tracking number")
    parser.add_argument("--dedup-with-shipments", type=int, default=5,
                        help="%% of dedup tracking numbers that have a shipment (recomputed)")
    parser.add_argument("--dedup-batch", type=int, default=1000)
    parser.add_argument("--dedup-procs", type=int, default=2)
    parser.add_argument("--dedup-timeout", type=float, default=240)
    args = parser.parse_args()
    quick = args.quick
    defaults = {"seconds": 1.5 if quick else 3.0, "rounds": 1 if quick else 3,
                "e2e_seconds": 5.0 if quick else 60.0, "e2e_drain": 30.0,
                "dedup_events": 5000 if quick else 100_000}
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    args.only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(args.only) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    return args


def report(args, results: dict, fx: Fixture) -> int:
    status = 0
    print(f"# database: PostgreSQL {DATABASE_URL.rsplit('/', 1)[-1]} (created and dropped), "
          f"broker: {REDIS_URL}, gunicorn {args.workers} sync workers, DEBUG off, {os.cpu_count()} CPUs, "
          f"load average {results['load_before']} before, {results['load_after']} after")
    lines = []
    if "webhook" in results:
        samples = results["webhook"]
        print(f"# webhook: {args.rounds} rounds x {args.seconds:g} s, {args.clients} keep-alive "
              "client threads; 1 signed EasyPost tracker.updated (1 event) per POST; baseline: "
              "the same bodies POSTed to /bench/noop-post; bodies queued, not processed")
        errors = {n: {k: v for s in ss for k, v in s.statuses.items() if k != 202}
                  for n, ss in samples.items()}
        if any(errors.values()):
            print(f"# webhook: non-202 answers: {errors}")
            status = 1
        base = h.median(s.rps for s in samples["noop"])
        value = h.median(s.rps for s in samples["webhook"])
        p50 = h.median(lat for s in samples["webhook"] for lat in s.latencies) * 1000
        base_p50 = h.median(lat for s in samples["noop"] for lat in s.latencies) * 1000
        print(f"# webhook: p50 {p50:.1f} ms (no-op {base_p50:.1f} ms); target ratio >= 0.35")
        lines.append(("webhook_accepted_per_s", value, base))
    if "batch" in results:
        samples = results["batch"]
        print(f"# batch: {args.rounds} rounds x {args.seconds:g} s, {args.batch_clients} concurrent "
              "requests of 1,000 events (200 tracking numbers); the API stores the body, "
              "validates and normalises all 1,000 events and queues the task (rows are written "
              "later by the worker); baseline: the same number of psycopg connections each "
              "running one 1,000-row INSERT … ON CONFLICT DO NOTHING + COMMIT per batch "
              "(rows built in the client; no HTTP, no JSON, no validation)")
        errors = {k: v for s in samples["batch_api"] for k, v in s.statuses.items() if k != 202}
        if errors:
            print(f"# batch: non-202 answers: {errors}")
            status = 1
        base = h.median(s.units_per_s for s in samples["raw_insert"])
        value = h.median(s.units_per_s for s in samples["batch_api"])
        p50 = h.median(lat for s in samples["batch_api"] for lat in s.latencies) * 1000
        print(f"# batch: API p50 {p50:.0f} ms per 1,000-event request; target ratio >= 0.5")
        lines.append(("batch_api_events_per_s", value, base))
    if "e2e" in results:
        r = results["e2e"]
        sample, series, check = r["sample"], r["series"], r["check"]
        rate = r["applied_in_window"] / r["window"]
        in_window = [s for s in series if s[0] <= r["window"]]
        backlog = max((s[3] for s in in_window), default=0)
        max_llen = max((s[1] for s in in_window), default=0)
        tail = [s[3] for s in in_window if s[0] >= r["window"] - 10]
        bodies_per_s = args.e2e_rate / args.e2e_batch
        bound = max(4, math.ceil(2 * bodies_per_s))  # two seconds of offered work
        bounded = backlog <= bound
        print(f"# e2e: {args.e2e_seconds:g} s offering {args.e2e_rate:g} events/s: "
              f"{args.e2e_clients} clients each POSTing {args.e2e_batch} events every "
              f"{r['interval']:.2f} s ({r['plan'].group_size} shipments x "
              f"{args.e2e_per_shipment} events), celery -c {args.e2e_concurrency}; "
              f"{sample.requests} requests ({sample.errors} refused), {sample.units} events")
        every = max(1, len(in_window) // 30)
        print("# e2e: every {:g} s, bodies waiting/LLEN ingest: {}".format(
            every / 2, " ".join(f"{s[3]}/{s[1]}" for s in in_window[::every])))
        print(f"# e2e: LLEN ingest counts tasks: drain tasks (at most one waiting per drain "
              f"slot, however many bodies) and milestones_announce; max {max_llen}")
        drain = (f"all applied {r['drained_at'] - r['window']:.1f} s after the load stopped"
                 if r["drained"] else f"NOT drained {args.e2e_drain:g} s after the load stopped")
        print(f"# e2e: max backlog {backlog} bodies (bound: {bound} = 2 s of offered bodies), "
              f"last 10 s mean {sum(tail) / max(1, len(tail)):.1f}: "
              f"{'BOUNDED' if bounded else 'NOT BOUNDED'}; {drain} "
              f"({r['total_applied']} of {sample.units} events applied)")
        if r["worker_errors"]:
            print(f"# e2e: worker log has {len(r['worker_errors'])} error lines, first: "
                  f"{r['worker_errors'][0]}")
            status = 1
        print(f"# e2e: check: {check['stored']} rows for {sample.units} events sent, "
              f"{check['unattached']} without shipment, {check['full_shipments']} complete "
              f"shipments of which {check['wrong_shipments']} wrong (expect delivered + "
              f"{check['milestones']}), {check['unprocessed_bodies']} bodies not processed")
        # A missed target is a result, not a failure; wrong data is.
        if check["wrong_shipments"] or sample.errors or (
                r["drained"] and (check["stored"] != sample.units or check["unprocessed_bodies"])):
            status = 1
        print("# e2e: target >= 1,000 events/s applied (baseline column: the offered rate)")
        lines.append(("e2e_events_applied_per_s", rate, args.e2e_rate))
        lines.append(("e2e_max_backlog_bodies", backlog, bound))
    if "dedup" in results:
        r = results["dedup"]
        print(f"# dedup: {r['events']} distinct events x 3 replays, each shuffled, in "
              f"{r['batches']} batches of {args.dedup_batch} applied in-process through "
              f"tracking.services.updates_apply by {args.dedup_procs} processes at once "
              f"({args.dedup_per_tracking} events per tracking number, "
              f"{args.dedup_with_shipments}% with a shipment), {r['seconds']:.1f} s "
              f"({r['applied'] / r['seconds']:.0f} events/s); {r['distinct']} distinct keys; "
              f"updates_apply reported {r['created']} created"
              + (" (more than stored: when replays race, its COUNT before/after also counts "
                 "the other process's commits)" if r["created"] > r["rows"] else ""))
        if r["rows"] != r["events"] or r["distinct"] != r["events"]:
            status = 1
        lines.append(("dedup_rows_after_3_replays", r["rows"], r["events"]))
    h.print_header()
    for name, value, base in lines:
        digits = 0 if name.startswith(("dedup", "e2e_max")) else 1
        h.print_line(name, value, base, digits)
    return status


def main() -> int:
    args = parse_args()
    h.sigterm_as_interrupt()
    os.environ.update(bench_env())
    results: dict = {"load_before": load_average()}
    with h.redis_run_lock(REDIS_URL, "ingest") as redis, h.Children() as children:
        redis.delete(*CELERY_KEYS)
        h.database_create(DATABASE_URL)
        try:
            fx = setup()
            if {"webhook", "batch", "e2e"} & set(args.only):
                port = h.free_port()
                server = children.spawn(h.gunicorn_args(port, args.workers), env=bench_env())
                h.wait_http_ready(port, server)
            if "webhook" in args.only:
                results["webhook"] = scenario_webhook(port, fx, args)
                discard_queued("webhook", fx, redis)
            if "batch" in args.only:
                results["batch"] = scenario_batch(port, fx, args)
                discard_queued("batch", fx, redis)
            if "e2e" in args.only:
                results["e2e"] = scenario_e2e(port, fx, args, children, redis)
            children.stop_all()  # the CPUs to the dedup processes alone
            if "dedup" in args.only:
                results["dedup"] = scenario_dedup(fx, args)
            if args.profile:
                profile_apply(fx, args)
        finally:
            children.stop_all()
            from django.db import connections

            connections.close_all()
            h.database_drop(DATABASE_URL)
    results["load_after"] = load_average()
    return report(args, results, fx)


if __name__ == "__main__":
    sys.exit(main())
