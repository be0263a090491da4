import pytest

from tenants.context import TenantNotSetError, no_tenant, tenant_scope
from tenants.models import ApiKey, Membership
from tenants.rls import cross_tenant


@pytest.mark.django_db
def test_a_scoped_query_without_a_tenant_raises(personas):
    with no_tenant(), pytest.raises(TenantNotSetError):
        list(Membership.objects.all())


@pytest.mark.django_db
def test_a_scoped_query_sees_only_the_tenant_in_scope(personas):
    with tenant_scope(personas.tenant_a):
        emails = sorted(m.user.email for m in Membership.objects.all())
    assert emails == ["alice@alpha.test", "bob@alpha.test"]
    with tenant_scope(personas.tenant_b):
        assert [m.user.email for m in Membership.objects.all()] == ["carol@beta.test"]


@pytest.mark.django_db
def test_unscoped_needs_a_reason(personas):
    with pytest.raises(ValueError):
        Membership.objects.unscoped(reason="  ")
    with cross_tenant("a test counts every store's members"):
        assert Membership.objects.unscoped(reason="test counts all rows").count() == 3


@pytest.mark.django_db
def test_saving_another_tenants_row_inside_a_scope_is_refused(personas):
    with tenant_scope(personas.tenant_a):
        key = ApiKey.objects.unscoped(reason="test").get(tenant=personas.tenant_a)
    with tenant_scope(personas.tenant_b), pytest.raises(TenantNotSetError):
        key.save()


@pytest.mark.django_db
def test_a_new_row_takes_the_tenant_in_scope(personas):
    from tenants.tests.factories import UserFactory

    dave = UserFactory()
    with tenant_scope(personas.tenant_b):
        membership = Membership.objects.create(user=dave, role="viewer")
    assert membership.tenant_id == personas.tenant_b.pk


@pytest.mark.django_db
def test_a_new_row_without_any_tenant_is_refused(personas):
    with no_tenant(), pytest.raises(TenantNotSetError):
        Membership(user=personas.alice, role="viewer").save()
