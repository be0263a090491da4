"""Writes to customers, products and orders.

For now: idempotent bulk creation by external id, used by the demo seed (and shaped for the
CSV import and API batches that come next). Rows that already exist are left untouched;
duplicates are stopped by the unique constraints (`ON CONFLICT DO NOTHING`), so two runs at
once cannot double anything either. They run in the caller's scope, the tenant's they are
given (`require_tenant`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from tenants.context import require_tenant
from tenants.models import Tenant

from ..models import Customer, LineItem, Order, Product

BATCH_SIZE = 500


@dataclass
class CreateResult:
    """What a bulk creation did: `by_external_id` holds every requested row, new or old,
    saved (with its primary key), in the order requested."""

    created: int = 0
    by_external_id: dict = field(default_factory=dict)


def _create_missing(tenant: Tenant, model, objs: list) -> CreateResult:
    wanted = {obj.external_id: obj for obj in objs}
    before = model.objects.filter(external_id__in=wanted).count()
    for obj in wanted.values():
        obj.tenant = tenant
    model.objects.bulk_create(wanted.values(), batch_size=BATCH_SIZE, ignore_conflicts=True)
    # ignore_conflicts leaves primary keys unset, so the rows are read back.
    found = {o.external_id: o for o in model.objects.filter(external_id__in=wanted)}
    # In the order asked for, so callers can rely on it.
    rows = {external_id: found[external_id] for external_id in wanted if external_id in found}
    return CreateResult(created=len(rows) - before, by_external_id=rows)


@transaction.atomic
def customer_create_many(tenant: Tenant, customers: list[Customer], *,
                         actor: AbstractBaseUser | None = None) -> CreateResult:
    require_tenant(tenant)
    return _create_missing(tenant, Customer, customers)


@transaction.atomic
def product_create_many(tenant: Tenant, products: list[Product], *,
                        actor: AbstractBaseUser | None = None) -> CreateResult:
    require_tenant(tenant)
    return _create_missing(tenant, Product, products)


@transaction.atomic
def order_create_many(tenant: Tenant,
                      orders: list[tuple[Order, list[LineItem]]], *,
                      actor: AbstractBaseUser | None = None) -> CreateResult:
    """Orders with their lines. An order that exists already keeps its lines: lines are
    only written for orders this call created (and their (order, position) is unique)."""
    require_tenant(tenant)
    existing = set(Order.objects.filter(
        external_id__in=[o.external_id for o, _ in orders]).values_list("external_id", flat=True))
    result = _create_missing(tenant, Order, [o for o, _ in orders])
    lines: list[LineItem] = []
    for order, order_lines in orders:
        if order.external_id in existing:
            continue
        saved = result.by_external_id[order.external_id]
        for position, line in enumerate(order_lines, start=1):
            line.tenant, line.order, line.position = tenant, saved, position
            lines.append(line)
    LineItem.objects.bulk_create(lines, batch_size=BATCH_SIZE, ignore_conflicts=True)
    return result
