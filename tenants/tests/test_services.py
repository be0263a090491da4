"""Services of the tenants app: sign-up's tenant, members and roles, invitations, keys."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from config.errors import Conflict, PermissionDenied, ValidationFailed
from tenants import services
from tenants.context import tenant_scope
from tenants.models import Brand, Invitation, Membership
from tenants.permissions import Role
from tenants.tests.factories import UserFactory


@pytest.mark.django_db
def test_creating_a_tenant_makes_its_brand_and_owner():
    owner = UserFactory()
    tenant = services.tenant_create(name="Gamma Gear", owner=owner)
    assert tenant.slug == "gamma-gear"
    with tenant_scope(tenant):
        assert Brand.objects.get().sender_name == "Gamma Gear"
        assert Membership.objects.get().role == Role.OWNER


@pytest.mark.django_db
def test_slugs_are_made_unique_and_avoid_reserved_words():
    owner = UserFactory()
    assert services.tenant_create(name="Gamma", owner=owner).slug == "gamma"
    assert services.tenant_create(name="Gamma", owner=owner).slug == "gamma-2"
    assert services.tenant_create(name="API", owner=owner).slug == "api-store"


@pytest.mark.django_db
@pytest.mark.parametrize(("fields", "bad"), [
    ({"slug": "Bad Slug"}, "slug"), ({"slug": "admin"}, "slug"),
    ({"timezone_name": "Mars/Olympus"}, "timezone"), ({"locale": "xx"}, "default_locale"),
])
def test_bad_tenant_fields_are_named(fields, bad):
    with pytest.raises(ValidationFailed) as error:
        services.tenant_create(name="Delta", owner=UserFactory(), **fields)
    assert bad in error.value.details


@pytest.mark.django_db
def test_a_taken_slug_is_a_conflict(personas):
    with pytest.raises(Conflict):
        services.tenant_create(name="Alpha again", owner=personas.carol, slug="alpha")


@pytest.mark.django_db
def test_an_invitation_is_mailed_and_accepted_once(personas, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), tenant_scope(personas.tenant_a):
        invitation, token = services.invitation_create(
            personas.tenant_a, email="Dave@Alpha.test", role=Role.MARKETER, actor=personas.alice)
    assert invitation.email == "dave@alpha.test"
    assert len(mail.outbox) == 1 and token in mail.outbox[0].body
    assert token not in invitation.token_hash

    dave = UserFactory(email="dave@alpha.test")
    found = services.invitation_get_by_token(token)
    with tenant_scope(found.tenant):  # the token names the store: the page's edge
        membership = services.invitation_accept(found, dave)
        assert membership.role == Role.MARKETER and membership.tenant_id == personas.tenant_a.pk
        assert services.invitation_get_by_token(token) is None
        with pytest.raises(Conflict):
            services.invitation_accept(found, dave)


@pytest.mark.django_db
def test_an_invitation_is_only_for_the_address_it_was_sent_to(personas):
    with tenant_scope(personas.tenant_a):
        _, token = services.invitation_create(personas.tenant_a, email="dave@alpha.test",
                                              role=Role.AGENT, actor=personas.alice)
        with pytest.raises(PermissionDenied):
            services.invitation_accept(services.invitation_get_by_token(token), personas.carol)


@pytest.mark.django_db
def test_an_expired_or_revoked_invitation_no_longer_resolves(personas):
    with tenant_scope(personas.tenant_a):
        invitation, token = services.invitation_create(personas.tenant_a, email="e@x.test",
                                                       role=Role.AGENT, actor=personas.alice)
        Invitation.objects.filter(pk=invitation.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1))
        assert services.invitation_get_by_token(token) is None
        invitation, token = services.invitation_create(personas.tenant_a, email="f@x.test",
                                                       role=Role.AGENT, actor=personas.alice)
        services.invitation_revoke(personas.tenant_a, invitation.pk, actor=personas.alice)
        assert services.invitation_get_by_token(token) is None


@pytest.mark.django_db
def test_reinviting_replaces_the_open_invitation(personas):
    with tenant_scope(personas.tenant_a):
        _, first = services.invitation_create(personas.tenant_a, email="g@x.test",
                                              role=Role.AGENT, actor=personas.alice)
        _, second = services.invitation_create(personas.tenant_a, email="g@x.test",
                                               role=Role.VIEWER, actor=personas.alice)
    assert services.invitation_get_by_token(first) is None
    assert services.invitation_get_by_token(second).role == Role.VIEWER


@pytest.mark.django_db
def test_members_cannot_be_invited_twice_and_agents_cannot_invite(personas):
    with tenant_scope(personas.tenant_a), pytest.raises(Conflict):
        services.invitation_create(personas.tenant_a, email="bob@alpha.test", role=Role.AGENT,
                                   actor=personas.alice)
    with tenant_scope(personas.tenant_a), pytest.raises(PermissionDenied):
        services.invitation_create(personas.tenant_a, email="h@x.test", role=Role.AGENT,
                                   actor=personas.bob)


@pytest.mark.django_db
def test_an_admin_cannot_create_an_owner(personas):
    with tenant_scope(personas.tenant_a):
        bob_membership = Membership.objects.get(user=personas.bob)
        services.membership_change_role(personas.tenant_a, bob_membership.pk, Role.ADMIN,
                                        actor=personas.alice)
    with tenant_scope(personas.tenant_a), pytest.raises(PermissionDenied):
        services.invitation_create(personas.tenant_a, email="i@x.test", role=Role.OWNER,
                                   actor=personas.bob)


@pytest.mark.django_db
def test_the_last_owner_cannot_step_down_or_be_removed(personas):
    with tenant_scope(personas.tenant_a):
        alice_membership = Membership.objects.get(user=personas.alice)
    with pytest.raises(Conflict), tenant_scope(personas.tenant_a):
        services.membership_change_role(personas.tenant_a, alice_membership.pk, Role.ADMIN,
                                        actor=personas.alice)
    with pytest.raises(Conflict), tenant_scope(personas.tenant_a):
        services.membership_remove(personas.tenant_a, alice_membership.pk, actor=personas.alice)


@pytest.mark.django_db
def test_long_expired_invitations_are_purged(personas):
    with tenant_scope(personas.tenant_a):
        invitation, _ = services.invitation_create(personas.tenant_a, email="j@x.test",
                                                   role=Role.AGENT, actor=personas.alice)
    with tenant_scope(personas.tenant_a):
        Invitation.objects.filter(pk=invitation.pk).update(
            expires_at=timezone.now() - timedelta(days=31))
    assert services.invitations_purge_expired() == 1


@pytest.mark.django_db
def test_api_keys_need_a_name_and_a_known_scope(personas):
    with pytest.raises(ValidationFailed), tenant_scope(personas.tenant_a):
        services.api_key_create(personas.tenant_a, name=" ")
    with pytest.raises(ValidationFailed), tenant_scope(personas.tenant_a):
        services.api_key_create(personas.tenant_a, name="x", scope="admin")
