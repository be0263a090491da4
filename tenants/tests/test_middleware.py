"""The dashboard's tenant comes from the session, only ever for a tenant the user belongs to."""

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse

from tenants.middleware import SESSION_KEY
from tenants.tests.factories import add_member


@pytest.mark.django_db
def test_a_member_of_two_tenants_gets_the_one_in_the_session(client, personas):
    add_member(personas.tenant_b, personas.alice, "viewer")
    client.force_login(personas.alice)
    session = client.session
    session[SESSION_KEY] = personas.tenant_b.pk
    session.save()
    response = client.get(reverse("dashboard:home"))
    assert response.wsgi_request.tenant == personas.tenant_b


@pytest.mark.django_db
def test_a_tenant_in_the_session_the_user_does_not_belong_to_is_ignored(client, personas):
    client.force_login(personas.carol)
    session = client.session
    session[SESSION_KEY] = personas.tenant_a.pk
    session.save()
    response = client.get(reverse("dashboard:home"))
    assert response.wsgi_request.tenant == personas.tenant_b
    assert client.session[SESSION_KEY] == personas.tenant_b.pk


@pytest.mark.django_db
def test_members_of_a_tenant_that_requires_2fa_must_enrol_first(client, personas):
    personas.tenant_a.require_two_factor = True
    personas.tenant_a.save()
    client.force_login(personas.bob)
    response = client.get(reverse("dashboard:home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    # The enrolment page itself stays reachable (allauth may first ask for the password again).
    enrol = client.get(reverse("mfa_activate_totp"))
    assert enrol.status_code == 200 or enrol["Location"].startswith("/accounts/reauthenticate/")


@pytest.mark.django_db
def test_members_with_an_authenticator_pass_the_2fa_requirement(client, personas):
    personas.tenant_a.require_two_factor = True
    personas.tenant_a.save()
    Authenticator.objects.create(user=personas.bob, type=Authenticator.Type.TOTP,
                                 data={"secret": "unused"})
    client.force_login(personas.bob)
    assert client.get(reverse("dashboard:home")).status_code == 200


@pytest.mark.django_db
def test_other_tenants_do_not_inherit_the_2fa_requirement(client, personas):
    personas.tenant_a.require_two_factor = True
    personas.tenant_a.save()
    client.force_login(personas.carol)
    assert client.get(reverse("dashboard:home")).status_code == 200


@pytest.mark.django_db
def test_the_api_ignores_a_browser_session(client, personas):
    client.force_login(personas.alice)
    response = client.get("/api/v1/tenant/")
    assert response.status_code == 401


@pytest.mark.django_db
def test_a_request_leaves_no_tenant_behind(client, personas):
    from tenants.context import get_current_tenant

    client.force_login(personas.alice)
    client.get(reverse("dashboard:home"))
    assert get_current_tenant() is None
