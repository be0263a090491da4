#!/usr/bin/env python
"""Analytics at size: the dashboard's KPI set from the rollups against the same KPIs computed
from raw rows with the best index, in the same run; the incremental rollup's cost; the
Analytics page's server time.

    own database (doorstep_bench_analytics) ──migrate──► 100 stores (time zones vary)
    COPY, 2 processes, per store: customers · orders · shipments · a scan with the carrier's
        estimate · milestones (shipped, delivered, exception, delayed, stalled) · 10 messages
        a shipment (e-mail and SMS) · their events (sent, delivered or bounced or failed,
        opens, some by Apple's proxy, clicks, unsubscribes, spam reports)
    rollups rebuilt for the year (analytics_rebuild's work), cursors set past the data

    kpis_*          the Analytics page's figures (every KPI of the period and the previous
                    one, the breakdown tables, the daily series) for one store over 30 days
                    and a year, and for every store over 90 days: rollups (one statement,
                    analytics/figures.py) vs raw rows (the rollups' own SELECTs over the raw
                    tables, with the indexes they use, summed), rounds interleaved
    kpis_*_cached   the same figures as a second view reads them: kept in Redis until the
                    store's next rollup run (analytics/cache.py)
    max_query_ms    the slowest single statement of the rollup side (target < 50 ms)
    update_*        new events for 10 stores, then analytics' periodic upkeep for them: its
                    time per 1,000 new events; the lag of a figure is at most the beat
                    period (ANALYTICS_ROLLUP_SECONDS, 300 s) plus that run
    page_ms         GET /analytics/ (30 days) in this process, server time, median: the first
                    view after a rollup run, and (…_cached) the next one

Prints `scenario value baseline ratio` (comments start with `#`); exit status 1 for wrong
results only (the reconciliation finds a difference after the upkeep, rows missing), never
for a missed target. Creates and drops its own database (BENCH_AN_DATABASE_URL); uses Redis
database 7 (BENCH_AN_REDIS_URL), deleting every key it made.

    .venv/bin/python bench/analytics.py            # 10M messages: ~15-25 min on 2 cores
    .venv/bin/python bench/analytics.py --quick    # CI: 4 stores, 40,000 messages, ~1 min
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import _harness as h  # noqa: E402

ENV = h.bench_env("analytics", redis_db=7, var="AN")
DATABASE_URL = ENV.database_url
COPY_PROCESSES = 2
MESSAGES_PER_SHIPMENT = 10
DAY = 86_400
ZONES = ["Europe/Berlin", "America/New_York", "UTC", "Asia/Tokyo", "America/Los_Angeles"]
CARRIERS = ["DHL", "UPS", "DPD", "USPS"]
# A shipment's ten messages: (milestone, channel, hours after it shipped).
PLAN = [("order_confirmed", "email", -24), ("shipped", "email", 0), ("in_transit", "email", 20),
        ("out_for_delivery", "sms", 40), ("out_for_delivery", "email", 41),
        ("delivered", "email", 60), ("delivered", "sms", 60), ("review_request", "email", 230),
        ("replenish", "email", 700), ("upsell", "email", 1400)]
NULL = "\\N"


# --- data ------------------------------------------------------------------------------

_TIMES: dict[int, str] = {}


def _ts(epoch: int) -> str:
    minute = epoch - epoch % 60
    text = _TIMES.get(minute)
    if text is None:
        text = _TIMES[minute] = time.strftime("%Y-%m-%d %H:%M:%S+00", time.gmtime(minute))
    return text


def _day(epoch: int) -> str:
    return _ts(epoch)[:10]


def copy_stores(dsn: str, stores: list[tuple[int, int]], orders: int, end: int) -> None:
    """COPY the data of `stores` ((tenant id, store index)); ids are computed, not fetched."""
    import psycopg

    with psycopg.connect(dsn) as conn:
        try:
            conn.execute("SET session_replication_role = replica")
        except psycopg.errors.InsufficientPrivilege:
            conn.rollback()
        conn.execute("SET synchronous_commit = off")
        for tenant_id, index in stores:
            for start in range(0, orders, 2_000):
                with conn.transaction(), conn.cursor() as cur:
                    _copy_chunk(cur, tenant_id, index, orders, start, min(orders, start + 2_000),
                                end)


def _copy_chunk(cur, t: int, s: int, orders: int, start: int, stop: int, end: int) -> None:
    customers = max(1, orders // 2)
    base = s * orders  # this store's first order number
    first_epoch = end - 365 * DAY
    lines: dict[str, list[str]] = {k: [] for k in (
        "customer", "order", "shipment", "scan", "milestone", "message", "event")}
    for k in range(start, stop):
        n = base + k
        if k < customers:
            at = _ts(first_epoch)
            lines["customer"].append(
                f"{s * customers + k + 1}\tc{k}\tshopper{k}@s{s}.bench.invalid\t\tSam\tBench\t"
                f"\t\tt\t\tf\t\tf\t\tf\t\t{at}\t{at}\t{t}\n")
        placed = first_epoch + k * (365 * DAY) // orders
        customer = s * customers + (k * 7919) % customers + 1
        lines["order"].append(
            f"{n + 1}\to{k}\t#{k}\t{_ts(placed)}\tEUR\t49.00\t4.90\t0.00\t53.90\t{{}}\tapi\tpaid\t"
            f"fulfilled\t{_day(placed + 4 * DAY)}\t{_ts(placed)}\t{_ts(placed)}\t{customer}\t{t}\n")
        shipped = placed + DAY
        fate = (n * 2654435761) % 100
        delivered = shipped + (1 + fate % 6) * DAY if fate < 85 else None
        exception = fate >= 95
        carrier = CARRIERS[n % 4]
        lines["shipment"].append(
            f"{n + 1}\t{carrier}\tBN{n:010d}\tStandard\t"
            f"{'delivered' if delivered else ('exception' if exception else 'in_transit')}\t"
            f"{'carrier' if exception else ''}\t\t{_day(shipped + 3 * DAY)}\t"
            f"{_day(placed + 4 * DAY)}\t{_ts(shipped)}\t{_ts(delivered) if delivered else NULL}\t"
            f"{_ts(delivered or shipped)}\tf\tf\tbench-{n}\t{_ts(placed)}\t{_ts(placed)}\t"
            f"{n + 1}\t{t}\n")
        lines["scan"].append(
            f"{2 * n + 1}\tbench\t{carrier}\tBN{n:010d}\t{_ts(shipped)}\tin_transit\t\t\t\t"
            f"{NULL}\t\t{_day(shipped + 3 * DAY)}\tbs{n}\t{_ts(shipped)}\t{n + 1}\t{t}\n")
        stones = [("shipped", shipped)]
        if delivered:
            stones.append(("delivered", delivered))
        if exception:
            stones.append(("exception", shipped + 2 * DAY))
            lines["scan"].append(
                f"{2 * n + 2}\tbench\t{carrier}\tBN{n:010d}\t{_ts(shipped + 2 * DAY)}\texception"
                f"\t\t\t\t{NULL}\t{('carrier', 'weather', 'recipient')[n % 3]}\t{NULL}\tbx{n}\t"
                f"{_ts(shipped + 2 * DAY)}\t{n + 1}\t{t}\n")
        if fate % 10 == 3:
            stones.append(("delayed", shipped + 4 * DAY))
        if fate % 50 == 7:
            stones.append(("stalled", shipped + 3 * DAY))
        for j, (name, when) in enumerate(stones):
            lines["milestone"].append(f"{n * 5 + j + 1}\t{name}\t{_ts(when)}\t{_ts(when)}\t"
                                      f"{_ts(when)}\t{n + 1}\t{t}\ttracking.shipment_milestone\n")
        for j, (milestone, channel, hours) in enumerate(PLAN):
            m = n * MESSAGES_PER_SHIPMENT + j
            sent = shipped + hours * 3600
            if sent > end:
                sent = end - (m % 3600)
            roll = (m * 2654435761) % 1000
            events = [("sent", "dispatcher", sent, "{}")]
            delivered_at = opened = clicked = NULL
            if channel == "sms":
                status = "failed" if roll < 50 else "delivered"
                if status == "delivered":
                    delivered_at = _ts(sent + 60)
                events.append((status if status == "failed" else "delivered", "twilio",
                               sent + 60, "{}"))
            elif roll < 30:
                status = "bounced"
                events.append(("bounce", "sendgrid", sent + 60, "{}"))
            else:
                status, delivered_at = "delivered", _ts(sent + 60)
                events.append(("delivered", "sendgrid", sent + 60, "{}"))
                if roll % 100 < 35:
                    status, opened = "opened", _ts(sent + 7200)
                    events.append(("open", "sendgrid", sent + 7200, "{}"))
                elif roll % 100 < 50:
                    events.append(("open", "sendgrid", sent + 600, '{"sg_machine_open": true}'))
                if roll % 100 < 8:
                    status, clicked = "clicked", _ts(sent + 7300)
                    events.append(("click", "sendgrid", sent + 7300, "{}"))
                if roll >= 997:
                    events.append(("unsubscribe" if roll < 999 else "spamreport", "sendgrid",
                                   sent + 9000, "{}"))
            lines["message"].append(
                f"{m + 1}\t{channel}\t{milestone}\tshopper@bench.invalid\tb:{m}\t{status}\t\t"
                f"{_ts(sent)}\t1\t{('en', 'de', 'fr')[m % 3]}\t\t\t\\\\x\t\t[]\tf\tsendgrid\t"
                f"p{m}\t{_ts(sent)}\t{delivered_at}\t{opened}\t{clicked}\t{_ts(sent)}\t"
                f"{_ts(sent)}\t{customer}\t{n + 1}\t{NULL}\t{n + 1}\t{t}\t{NULL}\n")
            for e, (kind, source, when, data) in enumerate(events):
                lines["event"].append(f"{m * 8 + e + 1}\t{kind}\t{_ts(when)}\t{source}\t"
                                      f"{'' if source == 'dispatcher' else f'e{m}:{e}'}\t"
                                      f"{data}\t{_ts(when)}\t{m + 1}\t{t}\n")
    tables = {
        "customer": "orders_customer (id, external_id, email, phone, first_name, last_name, "
                    "locale, timezone, transactional_email_consent, "
                    "transactional_email_consent_source, transactional_sms_consent, "
                    "transactional_sms_consent_source, marketing_email_consent, "
                    "marketing_email_consent_source, marketing_sms_consent, "
                    "marketing_sms_consent_source, created_at, updated_at, tenant_id)",
        "order": "orders_order (id, external_id, number, placed_at, currency, subtotal, shipping, "
                 "tax, total, shipping_address, source, financial_status, fulfillment_status, "
                 "promised_delivery_date, created_at, updated_at, customer_id, tenant_id)",
        "shipment": "tracking_shipment (id, carrier, tracking_number, service, status, "
                    "exception_cause, exception_message, carrier_estimated_delivery, "
                    "promised_delivery, shipped_at, delivered_at, last_event_at, delayed, "
                    "stalled, public_token, created_at, updated_at, order_id, tenant_id)",
        "scan": "tracking_trackingevent (id, source, carrier, tracking_number, occurred_at, "
                "status, source_code, source_subcode, message, location, exception_cause, "
                "estimated_delivery, dedup_key, created_at, shipment_id, tenant_id)",
        "milestone": "tracking_shipmentmilestone (id, milestone, occurred_at, created_at, "
                     "announced_at, shipment_id, tenant_id, kind)",
        "message": "messaging_message (id, channel, milestone, recipient, dedup_key, status, "
                   "status_reason, due_at, attempts, locale, subject, preheader, html_body, "
                   "text_body, links, includes_marketing, provider, provider_message_id, "
                   "sent_at, delivered_at, opened_at, clicked_at, created_at, updated_at, "
                   "customer_id, order_id, rule_id, shipment_id, tenant_id, template_version_id)",
        "event": "messaging_messageevent (id, kind, occurred_at, source, provider_event_id, data, "
                 "created_at, message_id, tenant_id)",
    }
    for key, table in tables.items():
        if lines[key]:
            with cur.copy(f"COPY {table} FROM STDIN") as copy:
                for begin in range(0, len(lines[key]), 50_000):
                    copy.write("".join(lines[key][begin:begin + 50_000]))


TABLES = ("orders_customer", "orders_order", "tracking_shipment", "tracking_trackingevent",
          "tracking_shipmentmilestone", "messaging_message", "messaging_messageevent")


def data_load(tenant_ids: list[int], orders: int, end: int) -> float:
    import psycopg

    began = time.monotonic()
    stores = list(zip(tenant_ids, range(len(tenant_ids)), strict=True))
    context = multiprocessing.get_context("spawn")
    procs = [context.Process(target=copy_stores, args=(DATABASE_URL, stores[p::COPY_PROCESSES],
                                                       orders, end))
             for p in range(COPY_PROCESSES)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join()
        if proc.exitcode != 0:
            raise SystemExit(f"a COPY process failed (exit status {proc.exitcode})")
    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        for table in TABLES:
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                         f"(SELECT max(id) FROM {table}))")
            conn.execute(f"ANALYZE {table}")
    return time.monotonic() - began


def counts() -> dict[str, int]:
    import psycopg

    with psycopg.connect(DATABASE_URL) as conn:
        return {table: conn.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
                for table in ("messaging_message", "messaging_messageevent", "orders_order",
                              "tracking_shipment")}


# --- the stores, the rollups -----------------------------------------------------------

def stores_create(count: int) -> list:
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from tenants import services
    from tenants.models import Tenant

    call_command("migrate", "--noinput", verbosity=0)
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # whitenoise warns without it
    tenants = []
    for index in range(count):
        owner = get_user_model().objects.create_user(username=f"an-{index}",
                                                     email=f"an-{index}@bench.invalid")
        tenant = services.tenant_create(name=f"Store {index}", owner=owner, slug=f"an-{index}")
        Tenant.objects.filter(pk=tenant.pk).update(timezone=ZONES[index % len(ZONES)])
        tenant.refresh_from_db()
        tenants.append((tenant, owner))
    return tenants


def rollups_build(tenants, first: date, last: date) -> float:
    from analytics.models import RollupCursor
    from analytics.rollups import rollups_rebuild
    from config import db
    from tenants.context import tenant_scope

    began = time.monotonic()
    for tenant, _ in tenants:
        with tenant_scope(tenant):
            rollups_rebuild(tenant, first, last)
            # The upkeep's cursors past the loaded data, as after its first run.
            for source, table in (("message_events", "messaging_messageevent"),
                                  ("holdout_events", "messaging_messageevent"),
                                  ("messages", "messaging_message"),
                                  ("milestones", "tracking_shipmentmilestone"),
                                  ("orders", "orders_order"), ("orders_placed", "orders_order"),
                                  ("holdout_orders", "orders_order")):
                top = db.execute(f"SELECT coalesce(max(id), 0) FROM {table} "  # noqa: S608
                                 "WHERE tenant_id = %s", [tenant.pk])[0][0]
                RollupCursor.objects.create(tenant=tenant, source=source, last_id=top)
            RollupCursor.objects.create(tenant=tenant, source="ratings",
                                        last_at=datetime.now(UTC))
    # Statistics and the visibility map, as autovacuum keeps them in production; by the
    # tables' owner (the app's role may not, and PostgreSQL only warns that it skipped them).
    import psycopg

    from analytics.rollups import ROLLUPS

    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        for rollup in ROLLUPS:
            conn.execute(f"VACUUM ANALYZE {rollup.table}")
    return time.monotonic() - began


def kpis_from_rollups(tenant, period, cached: bool = False):
    """What the Analytics page reads: the report (both periods), tables and series; from
    the rollup tables (one statement), or with `cached` from the store's figures kept in
    Redis until its next rollup run (what a second view of the page reads)."""
    from analytics.kpis import Filters
    from analytics.selectors import dashboard

    dashboard(tenant, period, Filters(), cached=cached)


def kpis_from_cache(tenant, period):
    kpis_from_rollups(tenant, period, cached=True)


def kpis_from_raw(tenant, period) -> None:
    """The same figures from raw rows: each rollup's SELECT over the raw tables for the
    period and the previous one, summed (what the page would cost without rollups)."""
    from analytics.rollups.maintain import params
    from analytics.rollups.sources import ROLLUPS
    from config import db

    for span in (period, period.previous()):
        days = [span.first + timedelta(days=n) for n in range(span.days)]
        bound = params(tenant, days)
        for rollup in ROLLUPS:
            if rollup.rows is not None:  # figures another app's selector defines
                rollup.rows(tenant, days, bound["lo"], bound["hi"])
                continue
            sums = ", ".join(f"sum(q.{v})" for v in rollup.values)
            names = ", ".join(("day", *rollup.keys, *rollup.values))
            db.execute(f"WITH q({names}) AS ({rollup.select}) SELECT {sums} FROM q",  # noqa: S608
                       bound)


def timed(func, *args) -> float:
    from django.db import transaction

    began = time.perf_counter()
    with transaction.atomic():
        func(*args)
    return (time.perf_counter() - began) * 1000


class Statements:
    """An execute wrapper that times every statement as it runs: prepared statements stay
    prepared (a query log, as CaptureQueriesContext keeps, would turn that off)."""

    def __init__(self) -> None:
        self.times: list[float] = []

    def __call__(self, execute, sql, params, many, context):
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.times.append((time.perf_counter() - began) * 1000)


def compare(name: str, tenants, period, rounds: int) -> dict:
    """Rounds interleaved: rollups, cached, raw, rollups, cached, raw… The medians in ms,
    and the slowest single rollup-side statement (BEGIN and COMMIT left out)."""
    from django.db import connection

    from tenants.context import tenant_scope

    reads = {"rollups": kpis_from_rollups, "cached": kpis_from_cache, "raw": kpis_from_raw}

    def run(kind) -> float:
        total = 0.0
        for tenant, _ in tenants:
            with tenant_scope(tenant):
                total += timed(reads[kind], tenant, period)
        return total

    run("rollups")  # warm-up (the statement prepared on this connection)
    run("cached")  # the figures stored
    times: dict[str, list[float]] = {kind: [] for kind in reads}
    for _ in range(rounds):
        for kind in reads:
            times[kind].append(run(kind))
    statements = Statements()
    with connection.execute_wrapper(statements):
        run("rollups")
    return {"name": name, **{kind: statistics.median(ms) for kind, ms in times.items()},
            "slowest": max(statements.times), "queries": len(statements.times) / len(tenants)}


def upkeep(tenants, new_events: int) -> dict:
    """`new_events` new events (opens, clicks, late deliveries) on recent messages of the
    stores, written as the webhook receivers write them; then the periodic upkeep for each."""
    from analytics.rollups import rollups_update
    from config import db
    from tenants.context import tenant_scope

    per_store = new_events // len(tenants)
    for tenant, _ in tenants:
        db.execute(
            "INSERT INTO messaging_messageevent (kind, occurred_at, source, provider_event_id, "
            "data, created_at, message_id, tenant_id) "
            "SELECT 'open', now(), 'sendgrid', 'late:' || m.id, '{}', now(), m.id, m.tenant_id "
            "FROM (SELECT id, tenant_id FROM messaging_message WHERE tenant_id = %s "
            "AND sent_at IS NOT NULL ORDER BY id DESC LIMIT %s) m",
            [tenant.pk, per_store])
        db.execute("UPDATE messaging_message SET opened_at = coalesce(opened_at, now()) "
                   "WHERE id IN (SELECT message_id FROM messaging_messageevent "
                   "WHERE tenant_id = %s AND provider_event_id LIKE 'late:%%')", [tenant.pk])
    began = time.perf_counter()
    for tenant, _ in tenants:
        with tenant_scope(tenant):
            rollups_update(tenant)
    seconds = time.perf_counter() - began
    return {"events": per_store * len(tenants), "seconds": seconds}


def page_ms(tenant, owner, period, rounds: int) -> dict[str, float]:
    """GET /analytics/ (medians, ms): the first view after a rollup run (the figures read
    from the rollups), and a view after that (the figures from the cache)."""
    from django.test import Client

    from analytics.cache import figures_forget

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(owner)
    query = {"start": period.first, "end": period.last}
    client.get("/analytics/", query)  # warm-up
    times: dict[str, list[float]] = {"first": [], "again": []}
    for _ in range(max(3, rounds)):
        figures_forget(tenant.pk)  # as a rollup run does
        for kind in times:
            began = time.perf_counter()
            response = client.get("/analytics/", query)
            times[kind].append((time.perf_counter() - began) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"GET /analytics/ answered {response.status_code}")
    return {kind: statistics.median(ms) for kind, ms in times.items()}


# --- run -------------------------------------------------------------------------------

def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="CI: 4 stores, 4,000 orders, 40,000 messages, 1 round")
    parser.add_argument("--stores", type=int, default=100)
    parser.add_argument("--orders", type=int, default=1_000_000,
                        help="orders (and shipments) in all; ten messages each")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--new-events", type=int, default=10_000)
    args = parser.parse_args()
    if args.quick:
        args.stores, args.orders, args.rounds, args.new_events = 4, 4_000, 1, 1_000
    return args


def main() -> int:
    args = parse_args()
    load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    with h.bench_run(ENV, lock_ttl=7200):
        return run(args, load_before)


def report(result: dict) -> None:
    """A comparison's line as soon as it is measured (a later failure keeps it)."""
    print(f"# {result['name']}: rollups {result['rollups']:.1f} ms "
          f"({result['queries']:.0f} statements a store, slowest {result['slowest']:.1f} ms), "
          f"from the cache {result['cached']:.1f} ms, raw {result['raw']:.1f} ms "
          f"(load {os.getloadavg()[0]:.1f})", flush=True)


def run(args, load_before: str) -> int:
    tenants = stores_create(args.stores)
    from analytics.kpis import Period
    from analytics.rollups import rollups_differences
    from analytics.selectors import tenant_today
    from tenants.context import tenant_scope

    end = int(time.time()) - 3600
    copy_seconds = data_load([t.pk for t, _ in tenants], args.orders // args.stores, end)
    loaded = counts()
    today = tenant_today(tenants[0][0])
    year = Period(today - timedelta(days=364), today)
    build_seconds = rollups_build(tenants, year.first - timedelta(days=400), today)
    print(f"# {loaded['messaging_message']:,} messages, {loaded['messaging_messageevent']:,} "
          f"events, {loaded['orders_order']:,} orders and shipments in {args.stores} stores: "
          f"COPY {copy_seconds:.0f} s; rollups built for every day in {build_seconds:.0f} s",
          flush=True)
    status = 0
    if loaded["messaging_message"] != args.orders // args.stores * args.stores * 10:
        print("# WRONG: not every message was loaded")
        status = 1
    one = tenants[:1]
    results = []
    for name, stores, period, rounds in (
            ("kpis_1store_30d_ms", one, Period(today - timedelta(days=29), today), args.rounds),
            ("kpis_1store_1y_ms", one, year, args.rounds),
            ("kpis_all_stores_90d_ms", tenants, Period(today - timedelta(days=89), today), 1)):
        results.append(compare(name, stores, period, rounds))
        report(results[-1])
    updated = upkeep(tenants[:10], args.new_events)
    first_tenant, first_owner = tenants[0]
    page = page_ms(first_tenant, first_owner, Period(today - timedelta(days=29), today), args.rounds)
    with tenant_scope(tenants[0][0]):
        differences = rollups_differences(tenants[0][0], year.first - timedelta(days=400), today)
    if differences:
        print(f"# WRONG: {len(differences)} rollup figures differ from the raw rows, e.g. "
              f"{differences[0]}")
        status = 1
    print(f"# load average before {load_before}, after "
          + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    per_thousand = updated["seconds"] * 1000 / max(1, updated["events"] / 1000)
    print(f"# upkeep: {updated['events']:,} new events in 10 stores brought in in "
          f"{updated['seconds'] * 1000:.0f} ms; a figure lags at most the beat period "
          f"(300 s) plus that")
    h.print_header()
    for result in results:
        h.print_line(result["name"], result["rollups"], result["raw"], 2)  # target <= 0.02
    for result in results:
        h.print_line(result["name"].replace("_ms", "_cached_ms"), result["cached"],
                     result["raw"], 2)
    h.print_line("max_query_ms", max(r["slowest"] for r in results), 50.0, 2)  # target < 1
    h.print_line("update_ms_per_1000_events", per_thousand, 1000.0, 1)
    h.print_line("page_ms_1store_30d", page["first"], results[0]["raw"], 1)
    h.print_line("page_ms_1store_30d_cached", page["again"], results[0]["raw"], 1)
    return status


if __name__ == "__main__":
    sys.exit(main())
