"""Objects named by user input are fetched here: "missing" and "another tenant's" look alike
(404), so nobody can probe which ids exist elsewhere."""

from __future__ import annotations

from typing import TypeVar

from django.db import models
from django.http import Http404

from .models import ApiKey, Credential, Invitation, Membership, Tenant

M = TypeVar("M", bound=models.Model)


def access_scoped(model: type[M], tenant: Tenant, pk: object, **filters) -> M:
    try:
        return model.objects.unscoped(reason="access helper filters by tenant itself").get(
            tenant=tenant, pk=pk, **filters
        )
    except (model.DoesNotExist, ValueError, TypeError):
        raise Http404(f"{model._meta.verbose_name} not found") from None


def access_membership(tenant: Tenant, membership_id: object) -> Membership:
    return access_scoped(Membership, tenant, membership_id)


def access_invitation(tenant: Tenant, invitation_id: object) -> Invitation:
    return access_scoped(Invitation, tenant, invitation_id)


def access_api_key(tenant: Tenant, key_id: object) -> ApiKey:
    return access_scoped(ApiKey, tenant, key_id)


def access_credential(tenant: Tenant, name: str) -> Credential:
    try:
        return Credential.objects.unscoped(reason="access helper filters by tenant itself").get(
            tenant=tenant, name=name
        )
    except Credential.DoesNotExist:
        raise Http404("credential not set") from None
