"""Small handmade stores for the recommender's tests."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from orders import services
from orders.models import Product


def product(external_id: str, title: str, category: str = "", *, in_stock: bool = True):
    return services.ProductInput(external_id=external_id, title=title, category=category,
                                 price=Decimal("20"), currency="EUR", in_stock=in_stock,
                                 url=f"https://shop.test/{external_id}")


def order(tenant, number: str, customer: str | None, product_ids: list[str], *,
          days_ago: float = 5):
    return services.order_upsert(tenant, services.OrderInput(
        external_id=number, number=number, currency="EUR",
        placed_at=timezone.now() - timedelta(days=days_ago),
        customer=services.CustomerInput(external_id=customer) if customer else None,
        lines=[services.LineInput(title=p, quantity=1, unit_price=Decimal("20"),
                                  product_external_id=p) for p in product_ids]))[0]


def ids(*external_ids: str) -> list[int]:
    found = dict(Product.objects.filter(external_id__in=external_ids)
                 .values_list("external_id", "pk"))
    return [found[e] for e in external_ids]


def titles(products) -> list[str]:
    return [p["title"] if isinstance(p, dict) else p.title for p in products]
