"""The demo's logins: an owner, an agent and a viewer, each a member of the demo store with
its role, each able to log in through the login form with the printed password."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from orders import demo
from orders.demo_logins import DEMO_LOGINS
from tenants.context import tenant_scope
from tenants.models import Membership
from tenants.permissions import Role

pytestmark = pytest.mark.django_db


def test_the_demo_has_an_owner_an_agent_and_a_viewer():
    assert [role for role, _, _ in DEMO_LOGINS] == [Role.OWNER, Role.AGENT, Role.VIEWER]
    assert len({email for _, email, _ in DEMO_LOGINS}) == 3


@pytest.mark.parametrize(("role", "email", "password"), DEMO_LOGINS)
def test_each_demo_login_is_a_member_with_its_role_and_can_log_in(client, role, email,
                                                                   password):
    tenant, _ = demo.seed_demo()
    user = get_user_model().objects.get(email=email)
    with tenant_scope(tenant):
        assert Membership.objects.get(user=user).role == role
    response = client.post("/accounts/login/", {"login": email, "password": password})
    assert response.status_code == 302, response.content.decode()[:500]
    assert client.get("/orders/").status_code == 200


def test_a_changed_password_or_role_is_put_back_by_the_next_seed():
    tenant, _ = demo.seed_demo()
    _, email, password = DEMO_LOGINS[1]
    user = get_user_model().objects.get(email=email)
    user.set_password("something-else")
    user.save()
    with tenant_scope(tenant):
        Membership.objects.filter(user=user).update(role=Role.OWNER)
    _, again = demo.seed_demo()
    assert again.created["team"] == 1
    user.refresh_from_db()
    assert user.check_password(password)
    with tenant_scope(tenant):
        assert Membership.objects.get(user=user).role == Role.AGENT
