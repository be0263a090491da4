"""What the recommender (recommendations/picking.py, a lower layer) learns from returns: the
products each shopper sent back or asked to, never recommended to them again and never the
reason for a recommendation. Registered in ReturnsConfig.ready."""

from __future__ import annotations

from collections import defaultdict

from recommendations.services import returned_products_source_register
from tenants.models import Tenant

from .models import ReturnLine, ReturnStatus

# A request refused or withdrawn: the shopper kept the product.
NOT_RETURNED = (ReturnStatus.REJECTED, ReturnStatus.CANCELLED)


def returned_products(tenant: Tenant, customer_ids: set[int]) -> dict[int, set[int]]:
    """{customer id: products they returned}, in one query, in the caller's scope."""
    found: dict[int, set[int]] = defaultdict(set)
    if customer_ids:
        for customer_id, product_id in (
                ReturnLine.objects.filter(request__customer_id__in=customer_ids)
                .exclude(request__status__in=NOT_RETURNED)
                .exclude(line_item__product=None)
                .values_list("request__customer_id", "line_item__product_id").distinct()):
            found[customer_id].add(product_id)
    return found


def connect() -> None:
    returned_products_source_register(returned_products)
