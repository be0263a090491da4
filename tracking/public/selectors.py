"""What the tracking page reads, in one statement by the public token, and one more for the
recommended products when there are any.

The token is the page's edge: it names the shipment and so the tenant, before any scope
exists (as the webhook edge's slug does). The statement finds the shipment by its globally
unique token and joins only rows of the shipment's own tenant (every join and subquery says
`tenant_id = s.tenant_id`); the products statement names the tenant it was given.

    tracking_page_data(token) ─▶ SELECT shipment ⋈ tenant (active) ⟕ brand ⟕ order ⟕ customer
                                        ⟕ page settings,
                                   json_agg(events, newest first), json_agg(items ⋈ lines ⟕ products),
                                   json_agg(the order's parcels), the delivery feedback
                                   FROM shipment WHERE public_token = %s        (prepared)
    recommended_products(tenant_id, ids) ─▶ products in stock, by id           (prepared)

Personal data is left in the database: of the shopper only the first name, locale and time
zone are read, of the address only the city and country; never an e-mail, phone or street.
Everything comes back as plain data (dataclasses, dicts): the page cannot reach further.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from typing import Any, cast

from django.db import connection

from config import db
from orders.models import Customer, LineItem, Order, Product
from tenants.models import Brand, Tenant
from tenants.rls import cross_tenant

from ..models import DeliveryFeedback, Shipment, ShipmentItem, TrackingEvent, TrackingPageSettings

# secrets.token_urlsafe(24) gives 32 characters; the column allows 40. Anything else is not a
# token, and is answered without asking the database.
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,40}$")
MAX_EVENTS = 200  # a parcel's timeline; older scans than these add nothing a shopper needs
MAX_PARCELS = 20  # an order's parcels listed on each of them


@dataclass(frozen=True)
class Event:
    occurred_at: datetime
    status: str
    message: str  # the carrier's own words
    location: str  # "City, Region, Country" as the carrier gave it
    exception_cause: str
    source: str


@dataclass(frozen=True)
class Item:
    title: str  # the order line's title (the catalog's translation is applied when shown)
    quantity: int
    product: Product | None  # unsaved, for its texts and translations only


@dataclass(frozen=True)
class Parcel:
    """One parcel of the order, as the page lists it beside the one it shows."""

    shipment_id: int
    public_token: str
    carrier: str
    tracking_number: str
    status: str
    delayed: bool
    stalled: bool
    estimated_delivery: date | None
    delivered_at: datetime | None


@dataclass
class TrackingPageData:
    """Everything the page shows of one shipment, read by `tracking_page_data`."""

    tenant: Tenant  # unsaved: id, slug, name, timezone, default_locale
    brand: Brand | None  # unsaved: the look and contacts
    settings: TrackingPageSettings  # unsaved: the tenant's, or the defaults
    shipment: Shipment  # unsaved: its own columns
    order_id: int | None
    order_number: str
    order_placed_at: datetime | None
    order_promised_delivery: date | None
    city: str
    country_code: str
    customer_id: int | None
    first_name: str
    customer_locale: str
    customer_timezone: str
    events: list[Event]
    items: list[Item]
    items_are_parcel: bool  # True: what this parcel carries; False: the order's lines
    parcels: list[Parcel]  # every parcel of the order, this one included, oldest first
    feedback: DeliveryFeedback | None
    recommendations: list[Product] = field(default_factory=list)


def _t(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


@cache
def _page_sql() -> str:
    """The statement, built once per process from the models' table names."""
    return f"""
SELECT s.id, s.tenant_id, s.order_id, s.carrier, s.tracking_number, s.service, s.status,
       s.exception_cause, s.exception_message, s.carrier_estimated_delivery,
       s.promised_delivery, s.shipped_at, s.delivered_at, s.last_event_at, s.delayed,
       s.stalled, s.public_token,
       t.slug, t.name, t.timezone, t.default_locale,
       b.id, b.logo, b.primary_color, b.accent_color, b.font, b.sender_name, b.footer_text,
       b.legal_text, b.social_links, b.support_email, b.support_phone, b.help_url,
       o.number, o.placed_at, o.promised_delivery_date,
       coalesce(o.shipping_address ->> 'city', ''),
       coalesce(o.shipping_address ->> 'country_code', ''),
       o.customer_id, c.first_name, c.locale, c.timezone,
       ps.id, ps.apology_text, ps.apology_code, ps.show_items, ps.show_recommendations,
       ps.show_help, ps.returns_enabled, ps.languages,
       (SELECT json_agg(json_build_object(
                   'at', extract(epoch FROM e.occurred_at), 'status', e.status,
                   'message', e.message, 'location', e.location,
                   'cause', e.exception_cause, 'source', e.source))
          FROM (SELECT * FROM {_t(TrackingEvent)} e
                 WHERE e.tenant_id = s.tenant_id AND e.shipment_id = s.id
                 ORDER BY e.occurred_at DESC, e.id DESC LIMIT {MAX_EVENTS}) e),
       (SELECT json_agg(json_build_object(
                   'title', l.title, 'quantity', i.quantity, 'product', {_product_json()})
                   ORDER BY l.position, l.id)
          FROM {_t(ShipmentItem)} i
          JOIN {_t(LineItem)} l ON l.id = i.line_item_id AND l.tenant_id = s.tenant_id
          LEFT JOIN {_t(Product)} p ON p.id = l.product_id AND p.tenant_id = s.tenant_id
         WHERE i.tenant_id = s.tenant_id AND i.shipment_id = s.id),
       (SELECT json_agg(json_build_object(
                   'title', l.title, 'quantity', l.quantity, 'product', {_product_json()})
                   ORDER BY l.position, l.id)
          FROM {_t(LineItem)} l
          LEFT JOIN {_t(Product)} p ON p.id = l.product_id AND p.tenant_id = s.tenant_id
         WHERE l.tenant_id = s.tenant_id AND l.order_id = s.order_id),
       (SELECT json_agg(json_build_object(
                   'id', x.id, 'token', x.public_token, 'carrier', x.carrier,
                   'number', x.tracking_number, 'status', x.status, 'delayed', x.delayed,
                   'stalled', x.stalled,
                   'eta', coalesce(x.carrier_estimated_delivery, x.promised_delivery),
                   'delivered', extract(epoch FROM x.delivered_at))
                   ORDER BY x.created_at, x.id)
          FROM (SELECT * FROM {_t(Shipment)} x
                 WHERE x.tenant_id = s.tenant_id AND x.order_id = s.order_id
                 ORDER BY x.created_at, x.id LIMIT {MAX_PARCELS}) x),
       f.id, f.rating, f.comment, f.low, f.created_at, f.updated_at
  FROM {_t(Shipment)} s
  JOIN {_t(Tenant)} t ON t.id = s.tenant_id AND t.status = %s
  LEFT JOIN {_t(Brand)} b ON b.tenant_id = s.tenant_id
  LEFT JOIN {_t(Order)} o ON o.id = s.order_id AND o.tenant_id = s.tenant_id
  LEFT JOIN {_t(Customer)} c ON c.id = o.customer_id AND c.tenant_id = s.tenant_id
  LEFT JOIN {_t(TrackingPageSettings)} ps ON ps.tenant_id = s.tenant_id
  LEFT JOIN {_t(DeliveryFeedback)} f ON f.tenant_id = s.tenant_id AND f.shipment_id = s.id
 WHERE s.public_token = %s"""  # noqa: S608 (identifiers from the models; values are parameters)


def _product_json() -> str:
    return ("CASE WHEN p.id IS NULL THEN NULL ELSE json_build_object("
            "'id', p.id, 'title', p.title, 'url', p.url, 'image_url', p.image_url, "
            "'category', p.category, 'content_links', p.content_links, "
            "'translations', p.translations) END")


def tracking_page_data(token: str) -> TrackingPageData | None:
    """The page's data for a public token: one statement; None for a token that is malformed,
    unknown, or of a tenant that is not active (the page answers all of them with one 404)."""
    if not isinstance(token, str) or not TOKEN_RE.match(token):
        return None
    with cross_tenant("the public token names the tenant"):
        rows = db.execute(_page_sql(), [Tenant.Status.ACTIVE, token], prepare=True)
    if not rows:
        return None
    return _data(rows[0])


def _data(row: tuple) -> TrackingPageData:
    (shipment_id, tenant_id, order_id, carrier, number, service, status, cause, cause_message,
     carrier_eta, promised, shipped_at, delivered_at, last_event_at, delayed, stalled, token,
     slug, tenant_name, tenant_tz, default_locale,
     brand_id, logo, primary, accent, font, sender_name, footer, legal, social, support_email,
     support_phone, help_url,
     order_number, placed_at, order_promised, city, country,
     customer_id, first_name, customer_locale, customer_tz,
     settings_id, apology_text, apology_code, show_items, show_recs, show_help, returns_enabled,
     languages,
     events, parcel_items, order_lines, parcels,
     feedback_id, rating, comment, low, feedback_created, feedback_updated) = row
    social, languages, events, parcel_items, order_lines, parcels = map(
        _json, (social, languages, events, parcel_items, order_lines, parcels))
    tenant = Tenant(id=tenant_id, slug=slug, name=tenant_name, timezone=tenant_tz,
                    default_locale=default_locale)
    brand = None if brand_id is None else Brand(
        id=brand_id, tenant_id=tenant_id, logo=logo or "", primary_color=primary,
        accent_color=accent, font=font, sender_name=sender_name, footer_text=footer,
        legal_text=legal, social_links=social or {}, support_email=support_email,
        support_phone=support_phone, help_url=help_url)
    page_settings = TrackingPageSettings(tenant_id=tenant_id) if settings_id is None else \
        TrackingPageSettings(
            id=settings_id, tenant_id=tenant_id, apology_text=apology_text,
            apology_code=apology_code, show_items=show_items, show_recommendations=show_recs,
            show_help=show_help, returns_enabled=returns_enabled, languages=languages or [])
    shipment = Shipment(
        id=shipment_id, tenant_id=tenant_id, order_id=order_id, carrier=carrier,
        tracking_number=number, service=service, status=status, exception_cause=cause,
        exception_message=cause_message, carrier_estimated_delivery=carrier_eta,
        promised_delivery=promised, shipped_at=shipped_at, delivered_at=delivered_at,
        last_event_at=last_event_at, delayed=delayed, stalled=stalled, public_token=token)
    feedback = None if feedback_id is None else DeliveryFeedback(
        id=feedback_id, tenant_id=tenant_id, shipment_id=shipment_id, rating=rating,
        comment=comment, low=low, created_at=feedback_created, updated_at=feedback_updated)
    return TrackingPageData(
        tenant=tenant, brand=brand, settings=page_settings, shipment=shipment,
        order_id=order_id, order_number=order_number or "", order_placed_at=placed_at,
        order_promised_delivery=order_promised, city=city or "", country_code=country or "",
        customer_id=customer_id, first_name=first_name or "", customer_locale=customer_locale or "",
        customer_timezone=customer_tz or "",
        events=[_event(e) for e in events or ()],
        items=[_item(i, tenant_id) for i in (parcel_items or order_lines or ())],
        items_are_parcel=bool(parcel_items),
        parcels=[_parcel(p) for p in parcels or ()],
        feedback=feedback)


def _json(value: Any) -> Any:
    """A json/jsonb column of a raw statement: Django has psycopg hand them over as text (its
    JSONField parses them itself), so they are parsed here, once per column."""
    return json.loads(value) if isinstance(value, str | bytes) else value


def _event(raw: dict) -> Event:
    return Event(occurred_at=datetime.fromtimestamp(raw["at"], UTC), status=raw["status"],
                 message=raw["message"] or "", location=_place(raw["location"]),
                 exception_cause=raw["cause"] or "", source=raw["source"] or "")


def _place(location: Any) -> str:
    """A carrier's location ({"city", "state", "country", …} or a plain string) in words."""
    if isinstance(location, str):
        return location.strip()
    if not isinstance(location, dict):
        return ""
    parts = [location.get(key) for key in ("city", "state", "country")]
    words = [str(part).strip() for part in parts if isinstance(part, str | int) and str(part).strip()]
    return ", ".join(dict.fromkeys(words))


def _item(raw: dict, tenant_id: int) -> Item:
    product = raw.get("product")
    return Item(title=raw["title"], quantity=raw["quantity"], product=None if product is None else
                Product(id=product["id"], tenant_id=tenant_id, title=product["title"],
                        url=product["url"], image_url=product["image_url"],
                        category=product["category"],
                        content_links=product["content_links"] or [],
                        translations=product["translations"] or {}))


def _parcel(raw: dict) -> Parcel:
    eta = raw["eta"]
    delivered = raw["delivered"]
    return Parcel(shipment_id=raw["id"], public_token=raw["token"], carrier=raw["carrier"],
                  tracking_number=raw["number"], status=raw["status"],
                  delayed=bool(raw["delayed"]), stalled=bool(raw["stalled"]),
                  estimated_delivery=date.fromisoformat(eta) if eta else None,
                  delivered_at=datetime.fromtimestamp(delivered, UTC) if delivered else None)


def recommended_products(tenant_id: int, product_ids: list[int]) -> list[Product]:
    """The picked products still in stock, in the picks' order: one prepared statement."""
    if not product_ids:
        return []
    rows = cast(list[Product], db.instances_where(Product, tenant_id, {"id__in": product_ids}))
    found = {p.pk: p for p in rows if p.in_stock}
    return [found[pk] for pk in product_ids if pk in found]


def product_for_click(tenant_id: int, product_id: int) -> Product | None:
    """A product of the tenant, for the recommendation click redirect."""
    found = cast(list[Product], db.instances_where(Product, tenant_id, {"id__in": [product_id]}))
    return found[0] if found else None


__all__ = ["TOKEN_RE", "Event", "Item", "Parcel", "TrackingPageData", "product_for_click",
           "recommended_products", "tracking_page_data"]
