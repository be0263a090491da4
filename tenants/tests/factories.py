from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import factory
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from tenants import services
from tenants.context import get_current_tenant, tenant_scope
from tenants.models import Tenant
from tenants.permissions import Role

DEFAULT_PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.Sequence(lambda n: f"user{n}@example.test")
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        """Users made by factories have a verified primary address, as after sign-up."""
        self.save()
        if create:
            EmailAddress.objects.update_or_create(
                user=self, email=self.email, defaults={"verified": True, "primary": True})


def make_tenant(name: str, owner, *, slug: str | None = None) -> Tenant:
    """A tenant made the way sign-up makes one: brand and owner membership included."""
    return services.tenant_create(name=name, owner=owner, slug=slug)


def add_member(tenant: Tenant, user, role: str = Role.AGENT):
    from tenants.models import Membership

    with in_scope(tenant):  # a test's set-up runs in the tenant it makes rows for
        return Membership.objects.create(user=user, role=role)


@contextmanager
def in_scope(tenant: Tenant) -> Iterator[Tenant]:
    """For shared test helpers (factories, page and journey support): a test is an edge, and
    enters its tenant's scope with `tenant_scope`; a helper may be called from a test in
    that scope or from one with none, so it enters the scope only when it is not the one in
    force already. Another tenant's scope in force is refused, as anywhere."""
    current = get_current_tenant()
    if current is not None and current.pk == tenant.pk:
        yield current
    else:
        with tenant_scope(tenant) as entered:
            yield entered
