#!/usr/bin/env python
"""Offline evaluation of the recommender on real transactions nobody here made (issue 16).

    own database (doorstep_bench_reco) ─▶ a throwaway store
    manage.py import_transactions --before CUTOFF   (the product's own import path)
    recompute as of the cut-off (timed) ─▶ for each customer who bought before and after it:
        recommender: picks_many for the customer alone (batches of 100, as messages ask)
        baseline:    the store's best sellers before the cut-off they had not bought
        truth:       what they bought after the cut-off and not before
    import the rest ─▶ recompute the whole store (timed)

Prints `scenario value baseline ratio` lines (comments start with `#`): recall@10, the
recompute time of the whole store against the issue's minute, and last hit-rate@5 (a
customer is hit when one of their five picks is among their later purchases), whose ratio
to the baseline's is the figure (target ≥ 1.5). Creates and drops its own database.

    .venv/bin/python bench/recommendations.py [--data FILE] [--cutoff YYYY-MM-DD] [--quick]

--data takes any CSV of the shape of ../shared/datasets/online_retail_2010_2011.csv.gz (gzip
or not); --cutoff defaults to three months before the file's last date; --quick keeps a
fixed fifth of the customers (CI: a few minutes instead of many). Uses Redis database 5
(BENCH_RECO_REDIS_URL) under a run lock, deleting every key it made.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import _harness as h  # noqa: E402

ENV = h.bench_env("recommendations", redis_db=5, var="RECO", database="doorstep_bench_reco")
DATASET = Path("shared") / "datasets" / "online_retail_2010_2011.csv.gz"


def _dataset() -> Path:
    """../shared/datasets beside the checkout: found from any folder above it, or above the
    repository it was cloned from (a fresh clone elsewhere, as CI makes, or a worktree)."""
    import subprocess

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(h.ROOT), *args], capture_output=True,
                              text=True).stdout.strip()

    found = [git("config", "remote.origin.url"), git("rev-parse", "--git-common-dir")]
    roots = [h.ROOT, *(Path(h.ROOT, p) for p in found if p and Path(h.ROOT, p).is_dir())]
    for root in roots:
        for folder in root.resolve().parents:
            if (folder / DATASET).is_file():
                return folder / DATASET
    return h.ROOT.parent / DATASET


DATA = _dataset()
BATCH = 100  # customers per picks call: a dispatch batch's size
TARGET_RATIO = 1.5


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--cutoff", default=None, help="YYYY-MM-DD (default: 3 months before "
                                                       "the file's last date)")
    parser.add_argument("--quick", action="store_true", help="a fixed fifth of the customers")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    with h.bench_run(ENV, lock_ttl=3600):
        return run(args)


def run(args: argparse.Namespace) -> int:
    tenant, _ = h.bench_store()
    from orders.services.transactions import transactions_open, transactions_parse

    with transactions_open(args.data) as stream:
        invoices, skipped = transactions_parse(stream)
    if args.quick:
        invoices = [i for i in invoices if i.customer and _fifth(i.customer)]
        data = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-reco-{os.getpid()}.csv"
        _write(invoices, data)
    else:
        data = args.data
    last = max(i.placed_at for i in invoices)
    cutoff = (datetime.strptime(args.cutoff, "%Y-%m-%d").replace(tzinfo=UTC) if args.cutoff
              else _months_before(last, 3))
    print(f"# data {args.data.name}{' (quick: a fifth of the customers)' if args.quick else ''}"
          f": {len(invoices)} invoices, {sum(len(i.lines) for i in invoices)} lines kept, "
          f"{skipped} rows skipped; cut-off {cutoff:%Y-%m-%d}; database {_db_name()}",
          flush=True)
    try:
        train = _import(tenant, data, before=cutoff)
        print(f"# import before the cut-off: {train}", flush=True)
        seconds_train = _recompute(tenant, cutoff)
        hit, recall, hit_base, recall_base, customers, pick_seconds = _evaluate(
            tenant, invoices, cutoff)
        print(f"# {customers} customers bought before and after the cut-off; picks for all "
              f"of them in {pick_seconds:.1f} s; recompute before the cut-off "
              f"{seconds_train:.1f} s", flush=True)
        rest = _import(tenant, data, before=None)
        print(f"# import of the rest: {rest}", flush=True)
        seconds_all, lines = _recompute(tenant, last + timedelta(days=1), lines=True)
    finally:
        if args.quick:
            data.unlink(missing_ok=True)
    print(f"# whole store: {lines} distinct order lines recomputed in {seconds_all:.1f} s "
          f"(load average {' '.join(f'{x:.2f}' for x in os.getloadavg())})")
    if not customers:  # nothing to measure: a wrong result, not a missed target
        print("# no customer bought both before and after the cut-off: pick another --cutoff")
        return 1
    h.print_header()
    h.print_line("recall_at_10", recall, recall_base, digits=4)
    h.print_line("recompute_whole_store_s", seconds_all, 60.0, digits=1)
    h.print_line("hit_rate_at_5", hit, hit_base, digits=4)
    return 0


def _fifth(customer: str) -> bool:
    return hashlib.blake2b(customer.encode(), digest_size=2).digest()[0] % 5 == 0


def _months_before(when: datetime, months: int) -> datetime:
    month = when.month - months
    year = when.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return when.replace(year=year, month=month, day=min(when.day, 28), hour=0, minute=0,
                        second=0, microsecond=0)


def _db_name() -> str:
    return ENV.database_url.rsplit("/", 1)[-1]


def _write(invoices, path: Path) -> None:
    """The kept invoices as a transactions CSV again (the quick form imports this)."""
    import csv

    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate",
                         "UnitPrice", "CustomerID", "Country"])
        for i in invoices:
            for ln in i.lines:
                writer.writerow([i.number, ln.code, ln.title, ln.quantity,
                                 i.placed_at.strftime("%Y-%m-%d %H:%M:%S"), ln.unit_price,
                                 i.customer, i.country])


def _import(tenant, data: Path, *, before: datetime | None) -> str:
    import io

    from django.core.management import call_command

    out = io.StringIO()
    options = {"tenant": tenant.slug, "data": str(data), "timezone": "UTC", "stdout": out}
    if before is not None:
        options["before"] = f"{before:%Y-%m-%d}"
    call_command("import_transactions", **options)
    return out.getvalue().strip()


def _recompute(tenant, as_of: datetime, *, lines: bool = False):
    from recommendations.learning import associations_recompute
    from tenants.context import tenant_scope

    with tenant_scope(tenant):  # the bench is the edge
        result = associations_recompute(tenant, as_of=as_of)
    return (result.seconds, result.lines) if lines else result.seconds


def _evaluate(tenant, invoices, cutoff: datetime):
    from orders.models import Customer, Product
    from recommendations.picking import Target, picks_many
    from tenants.context import tenant_scope

    before: dict[str, set[str]] = {}
    after: dict[str, set[str]] = {}
    sold: dict[str, int] = {}
    for invoice in invoices:
        if not invoice.customer:
            if invoice.placed_at < cutoff:
                for code in {ln.code for ln in invoice.lines}:
                    sold[code] = sold.get(code, 0) + 1
            continue
        codes = {ln.code for ln in invoice.lines}
        if invoice.placed_at < cutoff:
            before.setdefault(invoice.customer, set()).update(codes)
            for code in codes:
                sold[code] = sold.get(code, 0) + 1
        else:
            after.setdefault(invoice.customer, set()).update(codes)
    truth = {c: after[c] - before[c] for c in after if c in before and after[c] - before[c]}
    best_sellers = sorted(sold, key=lambda code: (-sold[code], code))
    with tenant_scope(tenant):
        customer_ids = dict(Customer.objects.filter(external_id__in=list(truth)).values_list(
            "external_id", "pk"))
        code_of = dict(Product.objects.values_list("pk", "external_id"))
        started = time.perf_counter()
        picked: dict[str, list[str]] = {}
        keys = sorted(truth)
        for at in range(0, len(keys), BATCH):
            batch = [Target(key=c, customer_id=customer_ids[c]) for c in keys[at:at + BATCH]]
            for key, picks in picks_many(tenant, batch, limit=10).items():
                picked[str(key)] = [code_of[p.product_id] for p in picks]
        pick_seconds = time.perf_counter() - started
    hit = recall = hit_base = recall_base = 0.0
    for customer, wanted in truth.items():
        ours = picked[customer]
        theirs = [code for code in best_sellers if code not in before[customer]][:10]
        hit += bool(set(ours[:5]) & wanted)
        hit_base += bool(set(theirs[:5]) & wanted)
        recall += len(set(ours[:10]) & wanted) / len(wanted)
        recall_base += len(set(theirs[:10]) & wanted) / len(wanted)
    n = len(truth) or 1
    return hit / n, recall / n, hit_base / n, recall_base / n, len(truth), pick_seconds


if __name__ == "__main__":
    sys.exit(main())
