"""The tracking page's work off the request path: orders' recommended products.

    page view (no picks cached) ─▶ SADD tp:rq "<tenant>:<order>"  (with the page it stores)
    every PAGE_PICKS_FILL_SECONDS (beat) ─▶ page_picks_fill_due: SPOP a batch, per tenant
        ─▶ page_picks_fill(tenant_id, order_ids): picks stored, the orders' pages forgotten
"""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from orders.models import Order
from recommendations.models import RecommendationShown, Surface
from recommendations.selectors import complementary_products_many
from recommendations.services import recommendations_shown_record
from tenants.context import require_current_tenant
from tenants.queueing import enqueue
from tenants.tasks import tenant_task

from . import cache


@tenant_task(name="tracking.tasks.page_picks_fill")
def page_picks_fill(tenant_id: int, order_ids: list[int]) -> int:
    """Compute these orders' complementary products (recommendations.selectors, for all of
    them at once), keep their ids in the cache and forget the orders' pages, so the next view
    shows them. Returns how many orders got picks."""
    orders = list(Order.objects.filter(pk__in=order_ids))
    if not orders:
        return 0
    picks = complementary_products_many(orders, surface=Surface.TRACKING_PAGE)
    cache.picks_store(tenant_id, {order.pk: [product.pk for product in picks.get(order.pk, [])]
                                  for order in orders})
    # Shown from now on (the shopper's picks sink for products they never click).
    now = timezone.now()
    recommendations_shown_record(require_current_tenant(), [
        RecommendationShown(product_id=product.pk, customer_id=order.customer_id,
                            order_id=order.pk, surface=Surface.TRACKING_PAGE,
                            reference=f"order:{order.pk}", shown_at=now)
        for order in orders for product in picks.get(order.pk, [])])
    cache.tracking_page_forget(tenant_id, order_ids=[order.pk for order in orders])
    return len(orders)


@shared_task(name="tracking.tasks.page_picks_fill_due")
def page_picks_fill_due() -> int:
    """Queue `page_picks_fill` once per tenant for the orders pages asked picks for; returns
    how many orders. A lost publish loses nothing: the next view of the page asks again."""
    wanted = cache.picks_wanted_take()
    for tenant_id, order_ids in wanted.items():
        enqueue(page_picks_fill, tenant_id, sorted(order_ids))
    return sum(len(order_ids) for order_ids in wanted.values())
