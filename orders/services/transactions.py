"""Importing a retailer's order history from a transactions export: one CSV row per invoice
line (the shape of the UCI "Online Retail" file and of many shop systems' exports).

    InvoiceNo, StockCode, Description, Quantity, InvoiceDate, UnitPrice, CustomerID, Country
        invoice ─▶ Order (external id and number: the invoice number)
        stock code ─▶ Product (external id and SKU; title: its first non-empty description;
                      price: its latest)
        customer id ─▶ Customer (none: a guest order)

Skipped, as any such export needs: cancellations (an invoice number starting with "C"),
lines with no positive quantity or a negative price (write-offs, bad-debt adjustments), and
non-product codes (postage, fees, manual adjustments, samples): by default a code with no
digit, or starting with two letters (POST, DOT, M, BANK CHARGES, AMAZONFEE, DCGS…, gift_…);
`non_product` replaces that pattern.

The rows go in through config.db's set-based inserts, ON CONFLICT DO NOTHING on each
table's unique key: importing the same file twice changes nothing, and an invoice that is
already there keeps its lines. History is not news: no milestones, no messages.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from zoneinfo import ZoneInfo

from config import db
from tenants.models import Tenant

from ..models import Customer, LineItem, Order, Product

NON_PRODUCT = r"^[^0-9]*$|^[A-Za-z]{2}"
COLUMNS = ("InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice",
           "CustomerID")
CHUNK = 20_000  # rows per INSERT: large enough to amortise, small enough for memory


@dataclass
class Line:
    code: str
    title: str
    quantity: int
    unit_price: Decimal


@dataclass
class Invoice:
    number: str
    placed_at: datetime
    customer: str  # "" for a guest
    country: str = ""
    lines: list[Line] = field(default_factory=list)


@dataclass
class ImportCounts:
    orders: int = 0
    lines: int = 0
    products: int = 0
    customers: int = 0
    skipped_rows: int = 0


def transactions_open(path: str | Path) -> io.TextIOBase:
    """The export as text, gzip-compressed or not (told by its first bytes, not its name)."""
    with open(path, "rb") as raw:
        gzipped = raw.read(2) == b"\x1f\x8b"
    if gzipped:
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return open(path, encoding="utf-8", newline="")  # noqa: SIM115 (the caller closes it)


def transactions_parse(stream: Iterable[str], *, tz: str = "UTC",
                       non_product: str = NON_PRODUCT) -> tuple[list[Invoice], int]:
    """The export's invoices, in file order, and how many rows were skipped. Raises
    ValueError naming the first missing column."""
    reader = csv.DictReader(stream)
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ValueError(f"not a transactions export: no column {missing[0]!r}")
    zone, skip_code = ZoneInfo(tz), re.compile(non_product)
    invoices: dict[str, Invoice] = {}
    skipped = 0
    for row in reader:
        line = _line(row, skip_code)
        number = (row["InvoiceNo"] or "").strip()
        if line is None or not number or number[0] in "cC":
            skipped += 1
            continue
        invoice = invoices.get(number)
        if invoice is None:
            try:
                placed_at = datetime.fromisoformat(row["InvoiceDate"].strip()).replace(
                    tzinfo=zone)
            except ValueError:
                skipped += 1
                continue
            invoice = invoices[number] = Invoice(number, placed_at,
                                                 (row["CustomerID"] or "").strip(),
                                                 (row.get("Country") or "").strip())
        invoice.lines.append(line)
    return list(invoices.values()), skipped


def _line(row: dict, skip_code: re.Pattern) -> Line | None:
    code = (row["StockCode"] or "").strip()
    if not code or skip_code.search(code):
        return None
    try:
        quantity, price = int(row["Quantity"]), Decimal(row["UnitPrice"])
    except (TypeError, ValueError, InvalidOperation):
        return None
    if quantity <= 0 or price < 0 or not price.is_finite():
        return None
    return Line(code, (row["Description"] or "").strip(), quantity, price)


def transactions_import(tenant: Tenant, invoices: list[Invoice], *, currency: str,
                        before: datetime | None = None) -> ImportCounts:
    """Write the invoices (those placed before `before`, when given) as the tenant's
    customers, products, orders and lines. Runs in the caller's scope and transaction."""
    if before is not None:
        invoices = [i for i in invoices if i.placed_at < before]
    counts = ImportCounts()
    t = tenant.pk
    products = _products(t, invoices, currency, counts)
    customers = _customers(t, invoices, counts)
    for start in range(0, len(invoices), CHUNK // 20):
        chunk = invoices[start:start + CHUNK // 20]
        orders = [Order(tenant_id=t, external_id=i.number, number=i.number[:32],
                        customer_id=customers.get(i.customer), placed_at=i.placed_at,
                        currency=currency, source=Order.Source.CSV,
                        financial_status=Order.FinancialStatus.PAID,
                        fulfillment_status=Order.FulfillmentStatus.FULFILLED,
                        subtotal=(total := sum((ln.unit_price * ln.quantity
                                                for ln in i.lines), Decimal(0))),
                        total=total,
                        shipping_address={"country": i.country} if i.country else {})
                  for i in chunk]
        created = dict(db.rows_insert(Order, t, orders, conflict="tenant_id, external_id",
                                      returning="external_id, id"))
        counts.orders += len(created)
        lines = [LineItem(tenant_id=t, order_id=created[i.number], position=position,
                          product_id=products[ln.code], sku=ln.code[:100],
                          title=(ln.title or ln.code)[:255], quantity=ln.quantity,
                          unit_price=ln.unit_price)
                 for i in chunk if i.number in created
                 for position, ln in enumerate(i.lines, start=1)]
        for at in range(0, len(lines), CHUNK):
            db.rows_insert(LineItem, t, lines[at:at + CHUNK])
        counts.lines += len(lines)
    return counts


def _products(t: int, invoices: list[Invoice], currency: str, counts: ImportCounts
              ) -> dict[str, int]:
    """Each stock code's product id, creating the missing ones (title: the first
    description; price: the latest)."""
    titles: dict[str, str] = {}
    prices: dict[str, tuple[datetime, Decimal]] = {}
    for invoice in invoices:
        for ln in invoice.lines:
            if not titles.get(ln.code):
                titles[ln.code] = ln.title
            if ln.code not in prices or prices[ln.code][0] <= invoice.placed_at:
                prices[ln.code] = (invoice.placed_at, ln.unit_price)
    new = [Product(tenant_id=t, external_id=code[:100], sku=code[:100],
                   title=(titles[code] or code)[:255], price=prices[code][1],
                   currency=currency, in_stock=True) for code in sorted(titles)]
    counts.products = len(db.rows_insert(Product, t, new, conflict="tenant_id, external_id",
                                         returning="id"))
    return dict(db.values_where(Product, t, ("external_id", "id"),
                                {"external_id__in": sorted(titles)}))


def _customers(t: int, invoices: list[Invoice], counts: ImportCounts) -> dict[str, int]:
    ids = sorted({i.customer for i in invoices if i.customer})
    new = [Customer(tenant_id=t, external_id=external_id[:100]) for external_id in ids]
    counts.customers = len(db.rows_insert(Customer, t, new, conflict="tenant_id, external_id",
                                          returning="id"))
    return dict(db.values_where(Customer, t, ("external_id", "id"), {"external_id__in": ids}))
