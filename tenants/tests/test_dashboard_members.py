"""Settings → Members: the team, roles, invitations."""

import pytest
from django.core import mail
from django.urls import reverse

from tenants.context import tenant_scope
from tenants.models import Invitation, Membership
from tenants.permissions import Role
from tenants.tests.factories import UserFactory, add_member

pytestmark = pytest.mark.django_db
URL = reverse("dashboard:settings-members")
HTMX = {"HTTP_HX_REQUEST": "true"}


def _membership(tenant, user) -> Membership:
    with tenant_scope(tenant):
        return Membership.objects.get(user=user)


def test_an_owner_sees_the_team_and_the_invite_form(client, personas):
    client.force_login(personas.alice)
    body = client.get(URL).content.decode()
    assert "alice@alpha.test" in body and "bob@alpha.test" in body
    assert "Send invitation" in body
    assert "carol@beta.test" not in body


def test_an_agent_gets_a_403_for_members(client, personas):
    client.force_login(personas.bob)
    response = client.get(URL)
    assert response.status_code == 403
    assert "To see the team" in response.content.decode()


def test_the_members_page_does_not_grow_queries_with_the_team(
        client, personas, django_assert_max_num_queries):
    for _ in range(8):
        add_member(personas.tenant_a, UserFactory(), Role.VIEWER)
    client.force_login(personas.alice)
    client.get(URL)
    with django_assert_max_num_queries(5):
        assert client.get(URL).status_code == 200


def test_inviting_sends_an_email_with_the_link(client, personas,
                                               django_capture_on_commit_callbacks):
    client.force_login(personas.alice)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("dashboard:member-invite"),
                               {"email": "dave@alpha.test", "role": Role.MARKETER})
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and "/invitations/" in mail.outbox[0].body
    body = client.get(URL).content.decode()
    assert "Invitation sent to dave@alpha.test" in body
    assert 'id="invitations"' in body and "dave@alpha.test" in body


def test_inviting_an_existing_member_says_so_next_to_the_email(client, personas):
    client.force_login(personas.alice)
    response = client.post(reverse("dashboard:member-invite"),
                           {"email": "bob@alpha.test", "role": Role.AGENT})
    assert response.status_code == 200
    assert response.context["invite_form"].errors["email"] == ["Already a member of this store."]


def test_an_invalid_email_is_refused_next_to_the_field(client, personas):
    client.force_login(personas.alice)
    response = client.post(reverse("dashboard:member-invite"), {"email": "nope", "role": "agent"})
    assert "email" in response.context["invite_form"].errors


def test_an_admin_cannot_hand_out_the_owner_role(client, personas):
    admin = UserFactory(email="ada@alpha.test")
    add_member(personas.tenant_a, admin, Role.ADMIN)
    client.force_login(admin)
    response = client.post(reverse("dashboard:member-invite"),
                           {"email": "eve@alpha.test", "role": Role.OWNER})
    assert response.status_code == 200
    assert "role" in response.context["invite_form"].errors
    with tenant_scope(personas.tenant_a):
        assert not Invitation.objects.filter(email="eve@alpha.test").exists()


def test_a_role_changes_inline_with_htmx(client, personas):
    bob = _membership(personas.tenant_a, personas.bob)
    client.force_login(personas.alice)
    response = client.post(reverse("dashboard:member-role", args=[bob.pk]),
                           {"role": Role.MARKETER}, **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith(f'<tr id="member-{bob.pk}"')
    assert 'value="marketer" selected' in body
    assert "bob@alpha.test is now marketer." in body  # out-of-band message
    with tenant_scope(bob.tenant):
        bob.refresh_from_db()
    assert bob.role == Role.MARKETER


def test_a_role_changes_with_a_plain_form_post_too(client, personas):
    bob = _membership(personas.tenant_a, personas.bob)
    client.force_login(personas.alice)
    response = client.post(reverse("dashboard:member-role", args=[bob.pk]), {"role": "viewer"})
    assert response.status_code == 302
    with tenant_scope(bob.tenant):
        bob.refresh_from_db()
    assert bob.role == Role.VIEWER


def test_demoting_the_last_owner_is_explained_not_a_crash(client, personas):
    alice = _membership(personas.tenant_a, personas.alice)
    client.force_login(personas.alice)
    response = client.post(reverse("dashboard:member-role", args=[alice.pk]),
                           {"role": Role.ADMIN}, **HTMX)
    assert response.status_code == 200
    assert "A store needs at least one owner" in response.content.decode()
    response = client.post(reverse("dashboard:member-role", args=[alice.pk]), {"role": "admin"},
                           follow=True)
    assert "A store needs at least one owner" in response.content.decode()
    with tenant_scope(alice.tenant):
        alice.refresh_from_db()
    assert alice.role == Role.OWNER


def test_removing_a_member_drops_the_row(client, personas):
    bob = _membership(personas.tenant_a, personas.bob)
    client.force_login(personas.alice)
    response = client.post(reverse("dashboard:member-remove", args=[bob.pk]), **HTMX)
    assert response.status_code == 200
    assert "<tr" not in response.content.decode()
    with tenant_scope(personas.tenant_a):
        assert not Membership.objects.filter(user=personas.bob).exists()


def test_revoking_an_invitation_stops_its_link(client, personas):
    from tenants import services

    with tenant_scope(personas.tenant_a):
        invitation, token = services.invitation_create(
            personas.tenant_a, email="dave@alpha.test", role="viewer", actor=personas.alice)
    client.force_login(personas.alice)
    response = client.post(reverse("dashboard:invitation-revoke", args=[invitation.pk]))
    assert response.status_code == 302
    assert services.invitation_get_by_token(token) is None


def test_an_agent_cannot_change_roles(client, personas):
    alice = _membership(personas.tenant_a, personas.alice)
    client.force_login(personas.bob)
    response = client.post(reverse("dashboard:member-role", args=[alice.pk]), {"role": "viewer"})
    assert response.status_code == 403
