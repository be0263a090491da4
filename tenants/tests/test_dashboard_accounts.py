"""allauth's pages wear our look: public pages in the card layout, account pages in the shell."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name, heading", [
    ("account_login", "Log in"),
    ("account_signup", "Create your account"),
    ("account_reset_password", "Password Reset"),
])
def test_public_account_pages_use_the_public_layout(client, name, heading):
    response = client.get(reverse(name))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'class="auth-card' in body and heading in body and "doorstep.css" in body


def test_the_signup_form_asks_for_the_store_name(client):
    body = client.get(reverse("account_signup")).content.decode()
    assert 'name="store_name"' in body and "Store name" in body


def test_signing_up_without_a_store_name_is_refused_next_to_the_field(client):
    response = client.post(reverse("account_signup"), {
        "email": "new@shop.test", "password1": "a long passphrase 42",
        "password2": "a long passphrase 42"})
    body = response.content.decode()
    field = body[body.index('id="field-store_name"'):]
    assert "Give your store a name." in field[:1200]


def test_a_wrong_password_is_reported_readably(client, personas):
    response = client.post(reverse("account_login"), {"login": "alice@alpha.test",
                                                      "password": "wrong"})
    assert response.status_code == 200
    assert "alert-error" in response.content.decode()


@pytest.mark.parametrize("name", ["mfa_index", "account_change_password", "account_email"])
def test_account_pages_sit_in_the_dashboard_shell(client, personas, name):
    client.force_login(personas.alice)
    response = client.get(reverse(name))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="sidenav"' in body and "Your account" in body and "Alpha Outfitters" in body


def test_log_out_is_a_post_from_the_user_menu(client, personas):
    client.force_login(personas.alice)
    body = client.get(reverse("dashboard:home")).content.decode()
    menu = body[body.index('id="user-menu"'):]
    assert f'method="post" action="{reverse("account_logout")}"' in menu
    assert f'href="{reverse("mfa_index")}"' in menu
