"""Tenant-owned models fail closed.

`TenantScopedModel` gives a model a non-null `tenant` and a default manager that filters by
the tenant in scope and raises `TenantNotSetError` when there is none. The only way out is
`Model.objects.unscoped(reason="…")`, which is easy to grep for in review.
"""

from __future__ import annotations

from django.db import models

from .context import TenantNotSetError, get_current_tenant, require_current_tenant


class TenantScopedManager(models.Manager):
    def get_queryset(self) -> models.QuerySet:
        tenant = require_current_tenant()
        return super().get_queryset().filter(tenant=tenant)

    def unscoped(self, *, reason: str) -> models.QuerySet:
        if not reason or not reason.strip():
            raise ValueError("unscoped() needs a reason a reviewer can read")
        return super().get_queryset()


class TenantScopedModel(models.Model):
    # No index of its own: every scoped model has an index or unique constraint that starts
    # with `tenant` (tests/tenancy/test_models_scoped.py), which serves its lookups, the
    # row-level security filter and a store's cascade; a plain one beside it only cost
    # writes (a fifth of the index work of every tracking event and message event loaded).
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+",
                               db_index=False)

    # The only manager. Cascades and forward relations (`line.order`) use Django's own base
    # manager (`_base_manager`, plain): deleting a tenant must reach every row, and following
    # a relation from a row already loaded is safe. Code never names it: outside Django's
    # relations, leaving the scope is `unscoped(reason=…)` (tests/tenancy/test_escapes.py).
    objects = TenantScopedManager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        current = get_current_tenant()
        if self.tenant_id is None:
            if current is None:
                raise TenantNotSetError(f"Cannot save {type(self).__name__} without a tenant")
            self.tenant = current
        elif current is not None and self.tenant_id != current.pk:
            raise TenantNotSetError(
                f"Refusing to save {type(self).__name__} of tenant {self.tenant_id} "
                f"inside the scope of tenant {current.pk}"
            )
        super().save(*args, **kwargs)
