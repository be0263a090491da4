"""The public invitation page: anonymous visitors, the invited user, the wrong account."""

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.urls import reverse

from tenants import services
from tenants.accounts import INVITATION_SESSION_KEY
from tenants.context import tenant_scope
from tenants.middleware import SESSION_KEY
from tenants.models import Membership
from tenants.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def invitation(personas):
    with tenant_scope(personas.tenant_a):
        invitation, token = services.invitation_create(
            personas.tenant_a, email="dave@alpha.test", role="marketer", actor=personas.alice)
    return invitation, token


def _url(token: str) -> str:
    return reverse("invitation_accept", args=[token])


def test_the_invitation_url_is_public_and_not_namespaced(invitation):
    _, token = invitation
    assert services.invitation_url(token).endswith(f"/invitations/{token}/")


def test_an_unknown_token_gets_a_friendly_404(client):
    response = client.get(_url("no-such-token"))
    assert response.status_code == 404
    assert "This invitation is no longer valid" in response.content.decode()


def test_a_revoked_invitation_is_no_longer_valid(client, personas, invitation):
    invitation, token = invitation
    with tenant_scope(personas.tenant_a):
        services.invitation_revoke(personas.tenant_a, invitation.pk, actor=personas.alice)
    assert client.get(_url(token)).status_code == 404


def test_an_anonymous_visitor_is_offered_to_sign_up_or_log_in(client, invitation):
    _, token = invitation
    response = client.get(_url(token))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Join Alpha Outfitters" in body and "marketer" in body
    assert "Create your account" in body and "Log in" in body
    assert client.session[INVITATION_SESSION_KEY] == token
    assert client.session["account_verified_email"] == "dave@alpha.test"


def test_signing_up_through_the_invitation_joins_the_store_without_verification(
        client, personas, invitation):
    _, token = invitation
    client.get(_url(token))
    form = client.get(reverse("account_signup")).content.decode()
    assert 'value="dave@alpha.test"' in form and "store_name" not in form
    response = client.post(reverse("account_signup"), {
        "email": "dave@alpha.test", "password1": DEFAULT_PASSWORD, "password2": DEFAULT_PASSWORD})
    assert response.status_code == 302
    dave = get_user_model().objects.get(email="dave@alpha.test")
    assert EmailAddress.objects.get(user=dave).verified
    with tenant_scope(personas.tenant_a):
        assert Membership.objects.get(user=dave).role == "marketer"
    home = client.get(reverse("dashboard:home"))
    assert home.status_code == 200 and "<h1>Alpha Outfitters</h1>" in home.content.decode()


def test_signing_up_with_another_address_is_refused_next_to_the_email(client, invitation):
    _, token = invitation
    client.get(_url(token))
    response = client.post(reverse("account_signup"), {
        "email": "someone@else.test", "password1": DEFAULT_PASSWORD,
        "password2": DEFAULT_PASSWORD})
    assert response.status_code == 200
    assert "This invitation is for dave@alpha.test" in response.content.decode()


def test_the_invited_user_accepts_and_lands_in_the_store(client, personas, invitation):
    invitation, token = invitation
    dave = UserFactory(email="dave@alpha.test")
    client.force_login(dave)
    page = client.get(_url(token)).content.decode()
    assert "Accept invitation" in page
    response = client.post(_url(token))
    assert response.status_code == 302 and response["Location"] == reverse("dashboard:home")
    assert client.session[SESSION_KEY] == personas.tenant_a.pk
    assert "Welcome to Alpha Outfitters" in client.get(reverse("dashboard:home")).content.decode()
    assert client.get(_url(token)).status_code == 404  # used once


def test_another_account_is_told_whom_the_invitation_is_for(client, personas, invitation):
    _, token = invitation
    client.force_login(personas.carol)
    response = client.get(_url(token))
    body = response.content.decode()
    assert "This invitation is for <strong>dave@alpha.test</strong>" in body
    assert "carol@beta.test" in body
    client.post(_url(token))
    with tenant_scope(personas.tenant_a):
        assert not Membership.objects.filter(user=personas.carol).exists()


def test_logging_in_through_the_invitation_comes_back_to_it(client, invitation):
    _, token = invitation
    UserFactory(email="dave@alpha.test")
    client.get(_url(token))
    response = client.post(reverse("account_login"), {
        "login": "dave@alpha.test", "password": DEFAULT_PASSWORD})
    assert response.status_code == 302 and response["Location"] == _url(token)
