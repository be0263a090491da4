"""The variables a template sees: plain data (dicts, lists, strings, numbers, dates) built from
the models in a fixed number of queries, whatever the batch size.

    messages (or one order/shipment) ─▶ _contexts (brand · orders+customers · lines+products ·
                                          shipments+items · loose customers · the marketing
                                          messages' recommendations, recommendations.selectors)
                                     ─▶ _assemble per message ─▶ {customer, order, line_items,
                                         shipment, status, tracking_url, brand, …}

Never a model instance: a template can only read what is copied here (docs/templates.md lists
every variable). Promotional data (recommendations) is only filled for messages that may carry
marketing (`include_marketing`, i.e. the shopper consented and the template has such blocks).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings

from config import db
from orders.selectors import (
    NO_PRODUCT,
    orders_with_customers,
    product_demo_picture,
    product_shown,
)
from recommendations.selectors import complementary_products_many, product_pick
from returns.selectors import return_message_data
from tenants.context import require_tenant
from tenants.selectors import absolute_url, brand_data
from tracking.selectors import tracking_page_url

from .locales import DELAY_APOLOGY, STATUS_LABELS, shopper_locale

EMPTY_CUSTOMER = {"first_name": "", "last_name": "", "full_name": "", "email": "", "phone": "",
                  "locale": ""}


def customer_data(customer) -> dict[str, Any]:
    if customer is None:
        return dict(EMPTY_CUSTOMER)
    return {"first_name": customer.first_name, "last_name": customer.last_name,
            "full_name": customer.full_name, "email": customer.email, "phone": customer.phone,
            "locale": customer.locale}


def line_data(line, quantity: int | None = None, *, locale: str = "en",
              catalog: dict[tuple[int, str], dict] | None = None) -> dict[str, Any]:
    """A line as templates see it, with its product's texts in the shopper's `locale`.
    `catalog`: a batch's products as shown, by (product id, locale), each built once however
    many lines name it (templates cannot change them)."""
    product = line.product
    quantity = line.quantity if quantity is None else quantity
    if product is None:
        shown = NO_PRODUCT
    elif catalog is None:
        shown = product_shown(product, locale)
    else:
        shown = catalog.get((product.pk, locale))
        if shown is None:
            shown = catalog[(product.pk, locale)] = product_shown(product, locale)
    return {
        # The order's own title, unless the catalog has one in the shopper's language.
        "title": shown["title"] or line.title,
        "sku": line.sku,
        "quantity": quantity,
        "unit_price": line.unit_price,
        "line_total": line.unit_price * quantity,
        "image_url": shown["image_url"],
        "url": shown["url"],
        "category": shown["category"],
        "how_to": shown["how_to"],
    }


def order_data(order, lines: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "number": order.number,
        "placed_at": order.placed_at,
        "currency": order.currency,
        "subtotal": order.subtotal,
        "shipping": order.shipping,
        "tax": order.tax,
        "total": order.total,
        "shipping_address": dict(order.shipping_address or {}),
        "promised_delivery": order.promised_delivery_date,
        "line_items": lines,
        "item_count": sum(line["quantity"] for line in lines),
    }


def shipment_data(shipment, brand, locale: str) -> dict[str, Any]:
    return {
        "carrier": shipment.carrier,
        "tracking_number": shipment.tracking_number,
        "service": shipment.service,
        "status": shipment.status,
        "status_label": STATUS_LABELS[locale].get(shipment.status, shipment.status),
        "estimated_delivery": shipment.carrier_estimated_delivery,
        "promised_delivery": shipment.promised_delivery,
        "shipped_at": shipment.shipped_at,
        "delivered_at": shipment.delivered_at,
        "exception_cause": shipment.exception_cause,
        "exception_message": shipment.exception_message,
        "delayed": shipment.delayed,
        "tracking_url": tracking_page_url(
            shipment.public_token, domain=brand.custom_tracking_domain if brand else None),
    }


@dataclass
class _Job:
    key: Any
    milestone: str
    order_id: int | None
    shipment_id: int | None
    customer_id: int | None
    message: Any
    include_marketing: bool
    locale: str | None
    return_id: int | None = None  # a return's message (Message.return_request)


def context_for(tenant, *, milestone: str, order=None, shipment=None, customer=None,
                message=None, include_marketing: bool = False) -> dict[str, Any]:
    """The documented variables for one message (docs/templates.md). With `message`, the
    unsubscribe and preferences URLs are its signed ones and its locale wins."""
    for obj in (order, shipment, customer, message):
        if obj is not None and obj.tenant_id != tenant.pk:
            raise ValueError(f"{type(obj).__name__} {obj.pk} belongs to another tenant")
    if shipment is not None and order is None:
        order_id = shipment.order_id
    else:
        order_id = order.pk if order is not None else None
    job = _Job(None, milestone, order_id, shipment.pk if shipment is not None else None,
               customer.pk if customer is not None else None, message, include_marketing,
               message.locale if message is not None else None)
    return _contexts(tenant, [job])[None]


@dataclass
class Preloaded:
    """Rows a caller read already for the same batch (the dispatcher's checks): shipments
    and orders by id, the orders with their customer joined. Passed to `contexts_for_many`,
    they are used instead of reading them again."""

    shipments: dict[int, Any]
    orders: dict[int, Any]


@dataclass
class _Line:
    """An order line as the context reads it (what `line_data` needs of a LineItem)."""

    pk: int
    order_id: int
    title: str
    sku: str
    quantity: int
    unit_price: Decimal
    product: Any


def lines_by_order(tenant, order_ids: Iterable[int]) -> dict[int, list]:
    """The orders' lines, in the shopper's order, with their products: two queries, the
    lines as plain rows and each product once however many lines name it. Not Django's
    prefetch_related (a queryset per order) nor a join (the same product rebuilt per line):
    either cost the dispatcher more than rendering the e-mail."""
    from orders.models import LineItem, Product

    ids = list(order_ids)
    if not ids:
        return {}
    rows = db.values_where(LineItem, tenant.pk, ("id", "order_id", "title", "sku", "quantity",
                                                 "unit_price", "product_id"),
                           {"order_id__in": ids}, order_by=("position", "id"))
    products = {p.pk: p for p in db.instances_where(
        Product, tenant.pk, {"id__in": list({row[6] for row in rows if row[6] is not None})})}
    lines: dict[int, list] = {}
    for pk, order_id, title, sku, quantity, unit_price, product_id in rows:
        lines.setdefault(order_id, []).append(
            _Line(pk, order_id, title, sku, quantity, unit_price, products.get(product_id)))
    return lines


def contexts_for_many(tenant, messages: Iterable, *,
                      preloaded: Preloaded | None = None) -> dict[int, dict[str, Any]]:
    """Contexts for a dispatch batch, by message id, in a fixed number of queries whatever the
    batch size: about seven (four with `preloaded`), and at most seven more for the
    recommendations when a message carries marketing. Each message's own `milestone`,
    `locale` and `includes_marketing` decide its context."""
    jobs = [_Job(m.pk, m.milestone, m.order_id, m.shipment_id, m.customer_id, m,
                 bool(m.includes_marketing), m.locale or None, m.return_request_id)
            for m in messages]
    for message in (job.message for job in jobs):
        if message.tenant_id != tenant.pk:
            raise ValueError(f"message {message.pk} belongs to another tenant")
    return _contexts(tenant, jobs, preloaded)


def _contexts(tenant, jobs: list[_Job],
              preloaded: Preloaded | None = None) -> dict[Any, dict[str, Any]]:
    from orders.models import Customer, LineItem
    from tenants.models import Brand
    from tracking.models import Shipment, ShipmentItem

    require_tenant(tenant)  # the caller's scope (recommendations read through it)
    brand = next(iter(db.instances_where(Brand, tenant.pk, {}, order_by=("pk",), limit=1)),
                 None)
    shipment_ids = {job.shipment_id for job in jobs if job.shipment_id}
    known_shipments = preloaded.shipments if preloaded is not None else {}
    shipments = {pk: known_shipments[pk] for pk in shipment_ids if pk in known_shipments}
    if shipment_ids - set(shipments):
        shipments.update({s.pk: s for s in db.instances_where(
            Shipment, tenant.pk, {"id__in": list(shipment_ids - set(shipments))})})
    # A parcel's items name lines of its order, which are loaded anyway: plain tuples
    # here, the lines (with their products) once, from the orders' prefetch.
    items: dict[int, list[tuple[int, int]]] = {}
    for shipment_id, line_id, quantity in db.values_where(
            ShipmentItem, tenant.pk, ("shipment_id", "line_item_id", "quantity"),
            {"shipment_id__in": list(shipment_ids)}, order_by=("pk",)):
        items.setdefault(shipment_id, []).append((line_id, quantity))
    order_ids = {job.order_id for job in jobs if job.order_id}
    order_ids |= {s.order_id for s in shipments.values() if s.order_id}
    known_orders = preloaded.orders if preloaded is not None else {}
    orders = {pk: known_orders[pk] for pk in order_ids if pk in known_orders}
    missing = order_ids - set(orders)
    if missing:
        orders.update({o.pk: o for o in orders_with_customers(tenant, missing)})
    order_lines = lines_by_order(tenant, orders)
    line_by_id = {line.pk: line for lines in order_lines.values() for line in lines}
    strays = {line_id for pairs in items.values() for line_id, _ in pairs} - set(line_by_id)
    if strays:  # an item of a line outside the shipment's order: not expected, still shown
        line_by_id.update(LineItem.objects.select_related("product").in_bulk(strays))
    known = {o.customer_id for o in orders.values() if o.customer_id}
    loose = {job.customer_id for job in jobs if job.customer_id} - known
    customers = {o.customer_id: o.customer for o in orders.values() if o.customer_id}
    if loose:
        customers.update({c.pk: c for c in db.instances_where(
            Customer, tenant.pk, {"id__in": list(loose)})})
    # Promotional blocks only with marketing consent (the caller sets include_marketing).
    marketing = {_order_id(job, shipments) for job in jobs if job.include_marketing}
    picks = complementary_products_many(
        orders[pk] for pk in marketing if pk in orders) if marketing else {}
    return_ids = [job.return_id for job in jobs if job.return_id]
    domain = getattr(brand, "custom_tracking_domain", None)
    returns = return_message_data(tenant, return_ids, domain=domain) if return_ids else {}
    brand_dict = brand_data(tenant, brand)
    loaded = _Loaded(brand, brand_dict, orders, shipments, customers, items, line_by_id,
                     order_lines, picks, returns)
    return {job.key: _assemble(tenant, job, loaded) for job in jobs}


@dataclass
class _Loaded:
    brand: Any
    brand_dict: dict[str, Any]
    orders: dict[int, Any]
    shipments: dict[int, Any]
    customers: dict[int, Any]
    items: dict[int, list[tuple[int, int]]]  # shipment id → (line id, quantity), in order
    lines: dict[int, Any]
    order_lines: dict[int, list]  # order id → its lines (with products), in order
    picks: dict[int, list]  # order id → recommended products, for marketing messages only
    returns: dict[int, dict]  # return request id → its message data (returns.selectors)
    # (product id, locale) → the product as lines show it (product_shown)
    catalog: dict[tuple[int, str], dict] = field(default_factory=dict)


def _assemble(tenant, job: _Job, loaded: _Loaded) -> dict[str, Any]:
    from messaging import links

    brand, brand_dict = loaded.brand, loaded.brand_dict
    shipment = loaded.shipments.get(job.shipment_id)
    order_id = _order_id(job, loaded.shipments)
    order = loaded.orders.get(order_id) if order_id else None
    customer = loaded.customers.get(job.customer_id or (order.customer_id if order else None))
    locale = shopper_locale(job.locale or (customer.locale if customer else None)
                            or tenant.default_locale)
    catalog = loaded.catalog
    lines = loaded.order_lines.get(order.pk, []) if order else []
    order_lines = [line_data(line, locale=locale, catalog=catalog) for line in lines]
    parcel = loaded.items.get(shipment.pk, []) if shipment is not None else []
    if parcel:
        # A parcel carrying a whole line shows the order's own dict for it (read-only).
        whole = {(line.pk, line.quantity): data for line, data in zip(lines, order_lines,
                                                                      strict=True)}
        line_items = [whole.get((line_id, quantity))
                      or line_data(loaded.lines[line_id], quantity, locale=locale,
                                   catalog=catalog)
                      for line_id, quantity in parcel]
    else:
        line_items = order_lines
    shipment_dict = shipment_data(shipment, brand, locale) if shipment else None
    if shipment_dict is not None and job.message is not None:
        # The tracking page counts its views by source (tracking/pageviews.py): the link in
        # an e-mail says "email", in an SMS "sms".
        shipment_dict["tracking_url"] += f"?src={job.message.channel}"
    promised = (shipment.promised_delivery if shipment else None) or (
        order.promised_delivery_date if order else None)
    estimated = (shipment.carrier_estimated_delivery if shipment else None) or promised
    delayed = bool(shipment and shipment.delayed) or job.milestone == "delayed"
    status_code = shipment.status if shipment else ""
    return_request = loaded.returns.get(job.return_id) if job.return_id else None
    tracking_url = shipment_dict["tracking_url"] if shipment_dict else ""
    if return_request is not None:
        # A return's messages lead to its status page (the default templates' one button).
        tracking_url = return_request["status_url"]
    if job.message is not None and job.message.pk is not None:
        preferences = links.preferences_url(job.message)
    else:
        preferences = f"{settings.PUBLIC_BASE_URL}/u/preview/"
    return {
        "locale": locale,
        "milestone": job.milestone,
        "brand": brand_dict,
        "customer": customer_data(customer),
        "order": order_data(order, order_lines) if order else None,
        "line_items": line_items,
        "shipment": shipment_dict,
        "status": {"code": status_code,
                   "label": STATUS_LABELS[locale].get(status_code, "") if status_code else ""},
        "tracking_url": tracking_url,
        "rating_url": f"{shipment_dict['tracking_url']}#rate" if shipment_dict else "",
        "return_request": return_request,
        "estimated_delivery": estimated,
        "promised_delivery": promised,
        "delayed": delayed,
        "delay_apology": DELAY_APOLOGY[locale] if delayed else "",
        "include_marketing": job.include_marketing,
        "recommendations": (_recommendations(loaded.picks.get(order.pk, []), locale)
                            if job.include_marketing and order is not None else []),
        "preferences_url": preferences,
        "unsubscribe_url": f"{preferences}?action=unsubscribe",
    }


def _order_id(job: _Job, shipments: dict[int, Any]) -> int | None:
    """The message's order: its own, else its shipment's."""
    if job.order_id:
        return job.order_id
    shipment = shipments.get(job.shipment_id) if job.shipment_id else None
    return shipment.order_id if shipment is not None else None


def _recommendations(products: list, locale: str) -> list[dict]:
    picks = (product_pick(product, locale) for product in products)
    return [{**pick, "url": absolute_url(pick["url"]), "image_url": absolute_url(pick["image_url"])}
            for pick in picks]


# The sample order's catalog texts, in the language previewed (a German preview in German).
SAMPLE_WORDS = {
    "en": {"tent": "Trail 2 Tent", "mat": "Cloud Sleeping Mat",
           "pitch": "Pitch it in five minutes", "lantern": "Trail Lantern",
           "rejection": "The jacket was worn outdoors."},
    "de": {"tent": "Trail 2 Zelt", "mat": "Cloud Isomatte",
           "pitch": "In fünf Minuten aufgebaut", "lantern": "Trail Laterne",
           "rejection": "Die Jacke wurde draußen getragen."},
    "fr": {"tent": "Tente Trail 2", "mat": "Matelas de couchage Cloud",
           "pitch": "Montée en cinq minutes", "lantern": "Lanterne Trail",
           "rejection": "La veste a été portée à l'extérieur."},
    "es": {"tent": "Tienda Trail 2", "mat": "Esterilla Cloud",
           "pitch": "Montada en cinco minutos", "lantern": "Farol Trail",
           "rejection": "La chaqueta se usó al aire libre."},
}


def sample_context(tenant=None, *, locale: str = "en", milestone: str = "shipped",
                   brand=None) -> dict[str, Any]:
    """A complete, realistic context for previews and the save-time check: every documented
    variable is present, so a template that passes here only fails on real data by design."""

    def picture(category: str) -> str:  # the demo catalog's pictures, served by this site
        return absolute_url(product_demo_picture(category))

    locale = shopper_locale(locale)
    brand_dict = brand_data(tenant, brand) if tenant is not None else brand_data(
        type("SampleTenant", (), {"name": "Alpha Outfitters"})(), None)
    tracking_url = f"{settings.PUBLIC_BASE_URL}/t/sample-tracking-token/"
    words = SAMPLE_WORDS[locale]
    tent = {"title": words["tent"], "sku": "TENT-2", "quantity": 1,
            "unit_price": Decimal("249.00"), "line_total": Decimal("249.00"),
            "image_url": picture("Tents"),
            "url": "https://example.com/products/trail-2-tent", "category": "Tents",
            "how_to": [{"kind": "video", "title": words["pitch"],
                        "url": "https://example.com/how-to/pitch-trail-2"}]}
    mat = {"title": words["mat"], "sku": "MAT-C", "quantity": 2,
           "unit_price": Decimal("39.50"), "line_total": Decimal("79.00"),
           "image_url": picture("Sleeping"), "url": "https://example.com/products/cloud-mat",
           "category": "Sleeping", "how_to": []}
    estimated, promised = date(2026, 3, 13), date(2026, 3, 12)
    status = "out_for_delivery" if milestone == "out_for_delivery" else "in_transit"
    delayed = milestone == "delayed"
    preferences = f"{settings.PUBLIC_BASE_URL}/u/preview/"
    return {
        "locale": locale,
        "milestone": milestone,
        "brand": brand_dict,
        "customer": {"first_name": "Sam", "last_name": "Rivera", "full_name": "Sam Rivera",
                     "email": "sam@example.com", "phone": "+4915112345678", "locale": locale},
        "order": {"number": "#1001", "placed_at": datetime(2026, 3, 9, 10, 30), "currency": "EUR",
                  "subtotal": Decimal("328.00"), "shipping": Decimal("4.90"),
                  "tax": Decimal("52.37"), "total": Decimal("332.90"),
                  "shipping_address": {"name": "Sam Rivera", "company": "",
                                       "address1": "Hauptstraße 5", "address2": "",
                                       "city": "Berlin", "postcode": "10115", "province": "",
                                       "country_code": "DE", "phone": ""},
                  "promised_delivery": promised, "line_items": [tent, mat], "item_count": 3},
        "line_items": [tent, mat],
        "shipment": {"carrier": "DHL", "tracking_number": "00340434161234567890",
                     "service": "Paket", "status": status,
                     "status_label": STATUS_LABELS[locale][status],
                     "estimated_delivery": estimated, "promised_delivery": promised,
                     "shipped_at": datetime(2026, 3, 10, 16, 5), "delivered_at": None,
                     "exception_cause": "", "exception_message": "", "delayed": delayed,
                     "tracking_url": tracking_url},
        "status": {"code": status, "label": STATUS_LABELS[locale][status]},
        "tracking_url": tracking_url,
        "rating_url": f"{tracking_url}#rate",
        "return_request": {
            "number": "R-1001-1", "status": "approved", "resolution": "store_credit",
            "method": "self_ship", "currency": "EUR", "refund_amount": Decimal("0.00"),
            "credit_amount": Decimal("273.90"), "settled_amount": Decimal("273.90"),
            "rejection_reason": words["rejection"], "label_url": "",
            "status_url": f"{settings.PUBLIC_BASE_URL}/s/alpha/returns/sample-return-token/"},
        "estimated_delivery": estimated,
        "promised_delivery": promised,
        "delayed": delayed,
        "delay_apology": DELAY_APOLOGY[locale],
        "include_marketing": True,
        "recommendations": [{"title": words["lantern"],
                             "url": "https://example.com/products/lantern",
                             "image_url": picture("Accessories"),
                             "price": Decimal("24.00")}],
        "preferences_url": preferences,
        "unsubscribe_url": f"{preferences}?action=unsubscribe",
    }
