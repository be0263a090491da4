"""CSV order import, the reading half: the template file, and reading an uploaded file into
orders and their shipments (one row per line item, rows of one order grouped by order_number).

    upload ─ orders.services.import_job_create (raw file kept first, as an ImportJob)
               └─ [task, csv_import.py] csv_groups(content)
                     ├─ OrderGroup(order=OrderInput, shipments=[…])  → order_upsert, shipment_create
                     └─ OrderGroup(errors=[(line, reason), …])       → reported, not imported

Pure reading: no database here, so the whole file is checked the same way whether the orders
exist or not. Line numbers are the file's own (the header is line 1), as a spreadsheet shows.
It lives in tracking, beside the import that runs it, because a row names a parcel as well as
an order line: the format spans both apps, and only tracking (a layer above orders) sees both.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone

from config.errors import ValidationFailed
from orders.models import ConsentSource, Order, e164
from orders.services import CustomerInput, LineInput, OrderInput

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000

COLUMNS = (
    "order_number", "order_id", "placed_at", "currency", "customer_id", "email", "phone",
    "first_name", "last_name", "sms_consent", "marketing_email_consent", "sku", "title",
    "quantity", "unit_price", "shipping", "tax", "carrier", "tracking_number", "ship_to_name",
    "address1", "city", "postcode", "country_code", "promised_delivery_date",
)
REQUIRED = ("order_number", "placed_at", "currency", "title", "quantity", "unit_price")
# Columns about the order (not the line): every row of an order says the same, or nothing.
ORDER_LEVEL = ("order_id", "placed_at", "currency", "customer_id", "email", "phone",
               "first_name", "last_name", "sms_consent", "marketing_email_consent", "shipping",
               "tax", "ship_to_name", "address1", "city", "postcode", "country_code",
               "promised_delivery_date")
EXAMPLE_ROWS = (
    ("1001", "", "2026-03-02T10:15:00+01:00", "EUR", "C-501", "ana@example.com", "+4915112345678",
     "Ana", "Schmidt", "yes", "no", "TENT-2P", "Trail tent, 2 person", "1", "249.00", "4.90",
     "0", "DHL", "00340434161234567890", "Ana Schmidt", "Hauptstr. 5", "Berlin", "10115", "DE",
     "2026-03-06"),
    ("1001", "", "2026-03-02T10:15:00+01:00", "EUR", "C-501", "ana@example.com", "+4915112345678",
     "Ana", "Schmidt", "yes", "no", "PEG-10", "Tent pegs, pack of 10", "2", "9.50", "4.90", "0",
     "DHL", "00340434161234567890", "Ana Schmidt", "Hauptstr. 5", "Berlin", "10115", "DE",
     "2026-03-06"),
)
_TRUE, _FALSE = {"yes", "y", "true", "1"}, {"no", "n", "false", "0", ""}


def template_csv() -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(EXAMPLE_ROWS)
    return out.getvalue()


class CsvFileError(ValidationFailed):
    """The file as a whole cannot be read (encoding, header, size): nothing is imported."""

    code = "csv_file_invalid"


@dataclass
class ShipmentRow:
    carrier: str
    tracking_number: str
    promised_delivery: date | None


@dataclass
class OrderGroup:
    number: str
    lines: list[int] = field(default_factory=list)  # file line numbers of its rows
    order: OrderInput | None = None
    shipments: list[ShipmentRow] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)


class _RowError(Exception):
    pass


# --- the file --------------------------------------------------------------------------

def _text(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")  # Excel writes a byte-order mark
    except UnicodeDecodeError:
        raise CsvFileError("The file is not UTF-8 text. In your spreadsheet, save it as "
                           "“CSV UTF-8”.") from None


def csv_rows(content: bytes) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Header and (line number, row) pairs; raises CsvFileError for a file we cannot use."""
    if len(content) > MAX_BYTES:
        raise CsvFileError(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB: split it.")
    reader = csv.DictReader(io.StringIO(_text(content), newline=""))
    header = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
    if not header:
        raise CsvFileError("The file is empty: start from the template.")
    reader.fieldnames = header
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise CsvFileError(f"The header row lacks the column(s) {', '.join(missing)}. "
                           "Start from the template.")
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        for row in reader:
            if len(rows) >= MAX_ROWS:
                raise CsvFileError(f"The file has more than {MAX_ROWS:,} rows: split it.")
            values = {k: (v or "").strip() for k, v in row.items() if k in COLUMNS}
            if any(values.values()):  # blank lines at the end are common; skip them
                rows.append((reader.line_num, values))
    except csv.Error as exc:
        raise CsvFileError(f"Line {reader.line_num}: the file is not valid CSV ({exc}).") from None
    return header, rows


# --- one value at a time ----------------------------------------------------------------

def _decimal(value: str, name: str, *, default: Decimal | None = None) -> Decimal:
    if not value and default is not None:
        return default
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise _RowError(f"{name} “{value}” is not a number.") from None
    if number < 0 or not number.is_finite():
        raise _RowError(f"{name} must be zero or more.")
    return number.quantize(Decimal("0.01"))


def _placed_at(value: str, tz: ZoneInfo) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _RowError(f"placed_at “{value}” is not a date and time like "
                        "2026-03-02T10:15:00+01:00.") from None
    # A time without an offset is the store's local time, as the retailer reads it.
    return timezone.make_aware(moment, tz) if timezone.is_naive(moment) else moment


def _date(value: str, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _RowError(f"{name} “{value}” is not a date like 2026-03-06.") from None


def _flag(value: str, name: str) -> bool:
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise _RowError(f"{name} must be yes or no, not “{value}”.")


def _line(row: dict[str, str]) -> LineInput:
    if not row.get("title"):
        raise _RowError("title is empty.")
    try:
        quantity = int(row.get("quantity", ""))
    except ValueError:
        raise _RowError(f"quantity “{row.get('quantity', '')}” is not a whole number.") from None
    if quantity < 1:
        raise _RowError("quantity must be 1 or more.")
    return LineInput(title=row["title"][:255], quantity=quantity, sku=row.get("sku", "")[:100],
                     unit_price=_decimal(row.get("unit_price", ""), "unit_price"))


def _customer(row: dict[str, str]) -> CustomerInput | None:
    email, phone = row.get("email", "").lower(), row.get("phone", "")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise _RowError(f"email “{email}” is not an e-mail address.") from None
    if phone:
        try:
            e164(phone)
        except ValidationError:
            raise _RowError(f"phone “{phone}” is not in international form, e.g. "
                            "+4915112345678.") from None
    external_id = row.get("customer_id") or (f"email:{email}" if email else "")
    if not external_id:
        return None
    consents = {"transactional_sms": _flag(row.get("sms_consent", ""), "sms_consent"),
                "marketing_email": _flag(row.get("marketing_email_consent", ""),
                                         "marketing_email_consent")}
    return CustomerInput(external_id=external_id[:100], email=email, phone=phone,
                         first_name=row.get("first_name", "")[:100],
                         last_name=row.get("last_name", "")[:100],
                         consents=consents, consent_source=ConsentSource.IMPORT)


def _order(first: dict[str, str], lines: list[LineInput], tz: ZoneInfo) -> OrderInput:
    currency = first.get("currency", "").upper()
    if len(currency) != 3 or not currency.isalpha():
        raise _RowError(f"currency “{currency}” is not a three-letter code like EUR.")
    country = first.get("country_code", "").upper()
    if country and (len(country) != 2 or not country.isalpha()):
        raise _RowError(f"country_code “{country}” is not a two-letter code like DE.")
    address = {"name": first.get("ship_to_name", ""), "address1": first.get("address1", ""),
               "city": first.get("city", ""), "postcode": first.get("postcode", ""),
               "country_code": country}
    return OrderInput(
        external_id=(first.get("order_id") or first["order_number"])[:100],
        number=first["order_number"][:32], placed_at=_placed_at(first["placed_at"], tz),
        currency=currency, lines=lines, customer=_customer(first),
        shipping=_decimal(first.get("shipping", ""), "shipping", default=Decimal("0")),
        tax=_decimal(first.get("tax", ""), "tax", default=Decimal("0")),
        shipping_address={k: v for k, v in address.items() if v}, source=Order.Source.CSV,
        promised_delivery_date=_date(first.get("promised_delivery_date", ""),
                                     "promised_delivery_date"))


# --- one order at a time ----------------------------------------------------------------

def _group(number: str, rows: list[tuple[int, dict[str, str]]], tz: ZoneInfo) -> OrderGroup:
    group = OrderGroup(number=number, lines=[line for line, _ in rows])
    first_line, first = rows[0]
    merged = dict(first)
    lines: list[LineInput] = []
    shipments: dict[tuple[str, str], ShipmentRow] = {}
    for line, row in rows:
        try:
            # Later rows may leave order columns blank; a different value is a mistake.
            for name in ORDER_LEVEL:
                if row.get(name) and merged.get(name) and row[name] != merged[name]:
                    raise _RowError(f"{name} “{row[name]}” differs from line {first_line} of "
                                    f"order {number} (“{merged[name]}”).")
                merged[name] = merged.get(name) or row.get(name, "")
            lines.append(_line(row))
            carrier, number_ = row.get("carrier", ""), row.get("tracking_number", "")
            if bool(carrier) != bool(number_):
                raise _RowError("carrier and tracking_number go together: give both or neither.")
            if carrier:
                shipments[(carrier.upper(), number_)] = ShipmentRow(
                    carrier, number_[:64], _date(row.get("promised_delivery_date", ""),
                                                 "promised_delivery_date"))
        except _RowError as exc:
            group.errors.append((line, str(exc)))
    if group.errors:
        return group
    try:
        group.order = _order(merged, lines, tz)
    except _RowError as exc:
        group.errors.append((first_line, str(exc)))
    group.shipments = list(shipments.values())
    return group


def csv_groups(content: bytes, *, tz: ZoneInfo | None = None) -> tuple[list[OrderGroup], int]:
    """Every order in the file, each either ready to import or with its bad rows; and the
    number of rows. Rows without an order_number cannot join an order: each is its own error."""
    _, rows = csv_rows(content)
    tz = tz or ZoneInfo("UTC")
    by_number: dict[str, list[tuple[int, dict[str, str]]]] = {}
    orphans = []
    for line, row in rows:
        if row.get("order_number"):
            by_number.setdefault(row["order_number"], []).append((line, row))
        else:
            orphans.append(OrderGroup(number="", lines=[line],
                                      errors=[(line, "order_number is empty.")]))
    groups = [_group(number, group_rows, tz) for number, group_rows in by_number.items()]
    return sorted(groups + orphans, key=lambda g: g.lines[0]), len(rows)


def csv_upload_check(content: bytes) -> None:
    """What can be refused before the upload is stored: an empty file, or one too large."""
    if not content:
        raise CsvFileError("The file is empty: start from the template.")
    if len(content) > MAX_BYTES:
        raise CsvFileError(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB: split it.")


__all__ = ["COLUMNS", "MAX_BYTES", "MAX_ROWS", "CsvFileError", "OrderGroup",
           "ShipmentRow", "csv_groups", "csv_upload_check", "template_csv"]
