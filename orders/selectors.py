"""Reads of customers, products and orders that others need (the API, tracking), prefetched so
a page of results costs a fixed number of queries however long it is.

Filters are keyword arguments that are applied only when given (`None` means "any").
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.templatetags.static import static
from django.utils.text import slugify

from config import db
from tenants.access import access_scoped
from tenants.models import Tenant
from tenants.selectors import absolute_url

from .models import Customer, LineItem, Order, OrderEvent, Product

# The agent console's search box, kept in its own module (parsing and matching are long).
from .search import SearchResult, order_search  # noqa: F401  (re-exported)


def _created_between(qs: QuerySet, after: datetime | None, before: datetime | None) -> QuerySet:
    if after is not None:
        qs = qs.filter(created_at__gte=after)
    if before is not None:
        qs = qs.filter(created_at__lt=before)
    return qs


# --- customers -------------------------------------------------------------------------

def customer_list(tenant: Tenant, *, email: str | None = None, external_id: str | None = None,
                  created_after: datetime | None = None,
                  created_before: datetime | None = None) -> QuerySet[Customer]:
    qs = Customer.objects.all()
    if email:
        qs = qs.filter(email=email.strip().lower())  # stored lower-cased by customer_upsert
    if external_id:
        qs = qs.filter(external_id=external_id)
    return _created_between(qs, created_after, created_before)


def customer_get(tenant: Tenant, customer_id: object) -> Customer:
    return access_scoped(Customer, tenant, customer_id)


# --- products --------------------------------------------------------------------------

def product_list(tenant: Tenant, *, sku: str | None = None, category: str | None = None,
                 external_id: str | None = None, in_stock: bool | None = None,
                 created_after: datetime | None = None,
                 created_before: datetime | None = None) -> QuerySet[Product]:
    qs = Product.objects.all()
    if sku:
        qs = qs.filter(sku=sku)
    if category:
        qs = qs.filter(category=category)
    if external_id:
        qs = qs.filter(external_id=external_id)
    if in_stock is not None:
        qs = qs.filter(in_stock=in_stock)
    return _created_between(qs, created_after, created_before)


def product_categories(tenant: Tenant) -> dict[str, str]:
    """The catalog's categories, folded (case and spaces ignored, as the return policy compares
    them) → as the catalog spells them. One query over the (tenant, category) index."""
    names = Product.objects.exclude(category="").values_list("category", flat=True).distinct()
    return {name.strip().casefold(): name for name in names}


def product_get(tenant: Tenant, product_id: object) -> Product:
    return access_scoped(Product, tenant, product_id)


# --- orders ----------------------------------------------------------------------------

def order_list(tenant: Tenant, *, number: str | None = None, external_id: str | None = None,
               customer_email: str | None = None, fulfillment_status: str | None = None,
               financial_status: str | None = None, placed_after: datetime | None = None,
               placed_before: datetime | None = None, created_after: datetime | None = None,
               created_before: datetime | None = None) -> QuerySet[Order]:
    """Orders with their customer and lines (and the lines' products): two queries per page."""
    qs = (Order.objects.select_related("customer")
          .prefetch_related(Prefetch("lines", LineItem.objects.all()
                                     .select_related("product").order_by("position"))))
    if number:
        qs = qs.filter(number=number)
    if external_id:
        qs = qs.filter(external_id=external_id)
    if customer_email:
        qs = qs.filter(customer__email=customer_email.strip().lower())
    if fulfillment_status:
        qs = qs.filter(fulfillment_status=fulfillment_status)
    if financial_status:
        qs = qs.filter(financial_status=financial_status)
    if placed_after is not None:
        qs = qs.filter(placed_at__gte=placed_after)
    if placed_before is not None:
        qs = qs.filter(placed_at__lt=placed_before)
    return _created_between(qs, created_after, created_before)


def order_get(tenant: Tenant, order_id: object) -> Order:
    """One order with its customer, lines and timeline (404 alike for missing and not ours)."""
    try:
        return order_list(tenant).prefetch_related(Prefetch(
            "events", OrderEvent.objects.order_by("occurred_at", "pk")),
        ).get(pk=order_id)
    except (Order.DoesNotExist, ValueError, TypeError):
        raise Http404("order not found") from None


def order_find(tenant: Tenant, *, external_id: str | None = None,
               number: str | None = None) -> Order | None:
    """The order a retailer names by its own id or by the number the shopper sees."""
    if not external_id and not number:
        return None
    qs = Order.objects.all()
    qs = qs.filter(external_id=external_id) if external_id else qs.filter(number=number)
    return qs.first()


def order_lines(tenant: Tenant, order_id: int) -> list[LineItem]:
    return list(LineItem.objects.filter(order_id=order_id).order_by("position"))


def orders_with_customers(tenant: Tenant, order_ids) -> list[Order]:
    """Orders by id with their customer joined (`order.customer` reads no further): one
    query for a batch (the dispatcher's checks and contexts), compiled once per process by
    config.db.instances_where."""
    return db.instances_where(Order, tenant.pk, {"id__in": list(order_ids)},
                              related=("customer",))


def product_demo_picture(category: str) -> str:
    """The demo catalog's picture for a product of `category` (static/demo/products/), served
    by this site, no outside host: a path, which messages make absolute on PUBLIC_BASE_URL.
    The demo's products show it, and so does the template preview's sample order."""
    return static(f"demo/products/{slugify(category)}.png")


# --- products as shoppers see them ------------------------------------------------------

NO_PRODUCT = {"title": "", "image_url": "", "url": "", "category": "", "how_to": []}


def product_shown(product: Product, locale: str) -> dict:
    """What a line shows of its product in `locale` (messages and the tracking page): `title`
    only when translated (else the line's own title stands), the catalog's link and its
    how-to / guide / video links in the shopper's language where the catalog has them."""
    translated = product.translation(locale)
    links = translated.get("content_links", product.content_links) or []
    return {
        "title": translated.get("title", ""),
        "image_url": absolute_url(product.image_url),
        "url": absolute_url(translated.get("url", product.url)),
        "category": product.category,
        "how_to": [{"kind": link.get("kind", "guide"), "title": link.get("title", ""),
                    "url": link.get("url", "")}
                   for link in links if isinstance(link, dict) and link.get("url")],
    }
