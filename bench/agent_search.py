#!/usr/bin/env python
"""The agent console at size: the search box's p50/p95 for each kind of query, and the order
page's server time for an order of 20 parcels and 200 messages.

    own database (doorstep_bench_agent_search) ──migrate──► 100 stores
    COPY, 2 processes, per store: customers (names with accents from a few hundred first and
        last names, e-mails, E.164 phones) · orders · a shipment each · a message each
    one order of store 0 with 20 parcels (3 scans each) and 200 messages (2 events each)

    search_<kind>_p50/p95_ms  orders.selectors.order_search (what the box and the API run),
                    in store 0, for a number ("1234" without #), an e-mail, a phone as typed
                    ("0151 …"), a tracking number and a partial name with a one-letter typo;
                    baseline: the orders list's exact lookup (one indexed query) by number
    search_name_fallback_*    the same names without the trigram index's path (the embedded
                    PostgreSQL's): what the index buys
    order_page_ms   GET /orders/<id>/ of the big order in this process, median; baseline: an
                    order of one parcel and one message

Targets: search p95 < 100 ms; order page < 150 ms. Prints `scenario value baseline ratio`;
exit status 1 for wrong results only (a query that does not find its order first). Creates
and drops its own database (BENCH_AS_DATABASE_URL); uses Redis database 6 (BENCH_AS_REDIS_URL),
deleting every key it made.

    .venv/bin/python bench/agent_search.py           # 1,000,000 orders: ~5-10 min on 2 cores
    .venv/bin/python bench/agent_search.py --quick   # CI: 4 stores, 10,000 orders, ~1 min
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import _harness as h  # noqa: E402

ENV = h.bench_env("agent_search", redis_db=6, var="AS")
DATABASE_URL = ENV.database_url
COPY_PROCESSES = 2
FIRST = ["Zoë", "José", "Jürgen", "François", "Åsa", "Sam", "Lena", "Noah", "Mia", "Liam",
         "Emma", "Lukas", "Chloé", "Mateo", "Sofia", "Björn", "Inès", "Oliver", "Hannah", "Léa"]
SYLLABLES = ["mül", "gar", "dub", "ois", "ler", "cía", "son", "berg", "man", "ski", "ner", "ró",
             "vic", "tin", "hof", "ez", "ard", "bau", "mann", "sch", "wei", "ova", "lund", "dal"]
LAST = sorted({(a + b + c).capitalize() for a in SYLLABLES for b in SYLLABLES for c in ("", "er", "i")})
NULL = "\\N"
NOW = "2026-12-01 10:00:00+00"


def customer_name(s: int, k: int) -> tuple[str, str]:
    n = s * 7_919 + k * 104_729
    return FIRST[n % len(FIRST)], LAST[(n // len(FIRST)) % len(LAST)]


def phone(s: int, k: int) -> str:
    return f"+49151{s:03d}{k:06d}"


# --- data ------------------------------------------------------------------------------

TABLES = {
    "customer": "orders_customer (id, external_id, email, phone, first_name, last_name, locale, "
                "timezone, transactional_email_consent, transactional_email_consent_source, "
                "transactional_sms_consent, transactional_sms_consent_source, "
                "marketing_email_consent, marketing_email_consent_source, marketing_sms_consent, "
                "marketing_sms_consent_source, created_at, updated_at, tenant_id)",
    "order": "orders_order (id, external_id, number, placed_at, currency, subtotal, shipping, "
             "tax, total, shipping_address, source, financial_status, fulfillment_status, "
             "created_at, updated_at, customer_id, tenant_id)",
    "shipment": "tracking_shipment (id, carrier, tracking_number, service, status, "
                "exception_cause, exception_message, delayed, stalled, public_token, created_at, "
                "updated_at, order_id, tenant_id)",
    "message": "messaging_message (id, channel, milestone, recipient, dedup_key, status, "
               "status_reason, due_at, attempts, locale, subject, preheader, html_body, "
               "text_body, links, includes_marketing, provider, provider_message_id, sent_at, "
               "created_at, updated_at, customer_id, order_id, rule_id, shipment_id, tenant_id, "
               "template_version_id)",
}


def copy_stores(dsn: str, stores: list[tuple[int, int]], orders: int) -> None:
    """COPY the rows of `stores` ((tenant id, store index)); ids are computed, not fetched."""
    import psycopg

    with psycopg.connect(dsn) as conn:
        conn.execute("SET synchronous_commit = off")
        for tenant_id, s in stores:
            for start in range(0, orders, 5_000):
                with conn.transaction(), conn.cursor() as cur:
                    _copy_chunk(cur, tenant_id, s, orders, start, min(orders, start + 5_000))


def _copy_chunk(cur, t: int, s: int, orders: int, start: int, stop: int) -> None:
    customers = max(1, orders // 2)
    lines: dict[str, list[str]] = {key: [] for key in TABLES}
    for k in range(start, stop):
        n = s * orders + k
        if k < customers:
            first, last = customer_name(s, k)
            lines["customer"].append(
                f"{s * customers + k + 1}\tc{k}\tshopper{k}@s{s}.bench.invalid\t{phone(s, k)}\t"
                f"{first}\t{last}\t\t\tt\t\tf\t\tf\t\tf\t\t{NOW}\t{NOW}\t{t}\n")
        customer = s * customers + k % customers + 1
        lines["order"].append(
            f"{n + 1}\to{k}\t#{k}\t{NOW}\tEUR\t49.00\t4.90\t0.00\t53.90\t{{}}\tapi\tpaid\t"
            f"fulfilled\t{NOW}\t{NOW}\t{customer}\t{t}\n")
        lines["shipment"].append(
            f"{n + 1}\tDHL\tBN{n:010d}\tStandard\tin_transit\t\t\tf\tf\tas-{n}\t{NOW}\t{NOW}\t"
            f"{n + 1}\t{t}\n")
        lines["message"].append(
            f"{n + 1}\temail\tshipped\tshopper{k % customers}@s{s}.bench.invalid\tb:{n}\t"
            f"delivered\t\t{NOW}\t1\ten\tYour order is on its way\t\t\\\\x\tHello\t[]\tf\t"
            f"sendgrid\tp{n}\t{NOW}\t{NOW}\t{NOW}\t{customer}\t{n + 1}\t{NULL}\t{n + 1}\t{t}\t"
            f"{NULL}\n")
    for key, table in TABLES.items():
        if lines[key]:
            with cur.copy(f"COPY {table} FROM STDIN") as copy:
                copy.write("".join(lines[key]))


def data_load(tenant_ids: list[int], orders: int) -> float:
    import psycopg

    began = time.monotonic()
    stores = list(zip(tenant_ids, range(len(tenant_ids)), strict=True))
    context = multiprocessing.get_context("spawn")
    procs = [context.Process(target=copy_stores, args=(DATABASE_URL, stores[p::COPY_PROCESSES],
                                                       orders))
             for p in range(COPY_PROCESSES)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join()
        if proc.exitcode != 0:
            raise SystemExit(f"a COPY process failed (exit status {proc.exitcode})")
    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        for table in ("orders_customer", "orders_order", "tracking_shipment", "messaging_message"):
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                         f"(SELECT max(id) FROM {table}))")
            conn.execute(f"ANALYZE {table}")
    return time.monotonic() - began


def stores_create(count: int) -> list:
    tenant, owner = h.bench_store()  # django set up and migrated
    from django.contrib.auth import get_user_model

    from tenants import services

    stores = [(tenant, owner)]
    for index in range(1, count):
        user = get_user_model().objects.create_user(username=f"as-{index}",
                                                    email=f"as-{index}@bench.invalid")
        stores.append((services.tenant_create(name=f"Store {index}", owner=user,
                                              slug=f"as-{index}"), user))
    return stores


def big_order(tenant, orders: int):
    """An order of store 0 with 20 parcels (3 scans each) and 200 messages (2 events each),
    through the ORM (a few thousand rows); and a small one (its first order) as the baseline."""
    from django.utils import timezone

    from messaging.models import Message, MessageEvent
    from orders.models import Order
    from tenants.context import tenant_scope
    from tracking.models import Shipment, TrackingEvent

    now = timezone.now()
    with tenant_scope(tenant):
        small = Order.objects.get(number="#0")
        big = Order.objects.get(number=f"#{orders - 1}")
        shipments = Shipment.objects.bulk_create([
            Shipment(tenant=tenant, order=big, carrier="UPS", tracking_number=f"1ZBIG{p:08d}",
                     status="in_transit") for p in range(20)])
        TrackingEvent.objects.bulk_create([
            TrackingEvent(tenant=tenant, shipment=s, source="easypost", carrier="UPS",
                          tracking_number=s.tracking_number, status="in_transit",
                          occurred_at=now, dedup_key=f"big:{s.pk}:{e}",
                          message="Departed from facility", location={"city": "Louisville"})
            for s in shipments for e in range(3)])
        messages = Message.objects.bulk_create([
            Message(tenant=tenant, channel="email", milestone="in_transit", order=big,
                    shipment=shipments[m % 20], customer_id=big.customer_id,
                    recipient="big@bench.invalid", dedup_key=f"big:{m}", status="opened",
                    due_at=now, sent_at=now, subject=f"Update {m}", text_body="Hello " * 60)
            for m in range(200)])
        MessageEvent.objects.bulk_create([
            MessageEvent(tenant=tenant, message=m, kind=kind, occurred_at=now, source="sendgrid")
            for m in messages for kind in ("delivered", "open")])
    return small, big


# --- measuring -------------------------------------------------------------------------

def queries(s: int, orders: int, rng: random.Random) -> dict[str, list[tuple[str, int]]]:
    """(typed text, order number it must find first) per kind of query, for store `s`."""
    customers = max(1, orders // 2)
    picks = [rng.randrange(customers) for _ in range(60)]

    def typo(name: str) -> str:
        at = rng.randrange(1, len(name) - 1)
        return name[:at] + name[at + 1:]  # one letter dropped

    return {
        "number": [(str(k), k) for k in picks],
        "email": [(f"Shopper{k}@S{s}.bench.invalid", k) for k in picks],
        "phone": [(f"0151 {s:03d} {k:06d}", k) for k in picks],
        "tracking": [(f"bn{s * orders + k:010d}", k) for k in picks],
        "name": [(f"{customer_name(s, k)[0]} {typo(customer_name(s, k)[1])}", k) for k in picks],
    }


def search_times(tenant, cases, *, trigram: bool | None = None) -> tuple[list[float], int]:
    """Milliseconds per search, and how many did not find their order (by customer: a name
    or an e-mail finds the shopper's orders, the expected one among them)."""
    from orders.models import Order
    from orders.selectors import order_search
    from tenants.context import tenant_scope

    times, misses = [], 0
    with tenant_scope(tenant):
        for text, k in cases:
            began = time.perf_counter()
            results = order_search(tenant, text, trigram=trigram)
            times.append((time.perf_counter() - began) * 1000)
            expected = Order.objects.get(number=f"#{k}").customer_id
            if all(r.order.customer_id != expected for r in results):
                misses += 1
    return times, misses


def baseline_times(tenant, cases) -> list[float]:
    from orders.models import Order
    from tenants.context import tenant_scope

    times = []
    with tenant_scope(tenant):
        for text, _ in cases:
            began = time.perf_counter()
            list(Order.objects.select_related("customer").filter(number=f"#{text}")[:20])
            times.append((time.perf_counter() - began) * 1000)
    return times


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def page_ms(owner, order, rounds: int) -> float:
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(owner)
    path = f"/orders/{order.pk}/"
    client.get(path)  # warm-up
    times = []
    for _ in range(max(5, rounds)):
        began = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - began) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"GET {path} answered {response.status_code}")
    return statistics.median(times)


# --- run -------------------------------------------------------------------------------

def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="CI: 4 stores, 10,000 orders")
    parser.add_argument("--stores", type=int, default=100)
    parser.add_argument("--orders", type=int, default=1_000_000, help="orders in all")
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    if args.quick:
        args.stores, args.orders, args.rounds = 4, 10_000, 5
    return args


def main() -> int:
    args = parse_args()
    with h.bench_run(ENV, lock_ttl=3600):
        return run(args)


def run(args) -> int:
    stores = stores_create(args.stores)
    per_store = args.orders // args.stores
    seconds = data_load([t.pk for t, _ in stores], per_store)
    tenant, owner = stores[0]
    small, big = big_order(tenant, per_store)
    from orders.search import trigram_search_available

    trigram = trigram_search_available()
    print(f"# {per_store * args.stores:,} orders, customers, shipments and messages in "
          f"{args.stores} stores loaded in {seconds:.0f} s; pg_trgm index: {trigram}", flush=True)
    cases = queries(0, per_store, random.Random(7))
    baseline = baseline_times(tenant, cases["number"])
    status, lines = 0, []
    for kind, typed in cases.items():
        times, misses = search_times(tenant, typed)
        if misses:
            print(f"# WRONG: {misses} of {len(typed)} {kind} searches missed their order")
            status = 1
        lines.append((f"search_{kind}", times))
    if trigram:
        fallback, _ = search_times(tenant, cases["name"][:20], trigram=False)
        lines.append(("search_name_fallback", fallback))
    big_ms, small_ms = page_ms(owner, big, args.rounds), page_ms(owner, small, args.rounds)
    h.print_header()
    for name, times in lines:
        h.print_line(f"{name}_p50_ms", pct(times, 0.5), pct(baseline, 0.5), 2)
        h.print_line(f"{name}_p95_ms", pct(times, 0.95), 100.0, 2)  # target ratio < 1
    h.print_line("order_page_20_parcels_200_messages_ms", big_ms, small_ms, 1)
    h.print_line("order_page_vs_target_ms", big_ms, 150.0, 1)  # target ratio < 1
    return status


if __name__ == "__main__":
    sys.exit(main())
