"""The tracking page's work off the request path: an order's recommended products."""

from __future__ import annotations

from orders.models import Order
from recommendations.selectors import complementary_products_many
from tenants.tasks import tenant_task

from . import cache

PICKS = 3  # products in the page's block


@tenant_task(name="tracking.tasks.page_picks_fill")
def page_picks_fill(tenant_id: int, order_id: int) -> int:
    """Compute the order's complementary products (recommendations.selectors), keep their ids
    in the cache and forget the order's pages, so the next view shows them."""
    order = Order.objects.filter(pk=order_id).first()
    if order is None:
        return 0
    picks = complementary_products_many([order], limit=PICKS).get(order.pk, [])
    cache.picks_store(tenant_id, order.pk, [product.pk for product in picks])
    cache.tracking_page_forget(tenant_id, order_ids=[order.pk])
    return len(picks)
