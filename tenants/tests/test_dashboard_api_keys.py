"""Settings → API keys: the raw key is shown once, revoking works, agents are kept out."""

import pytest
from django.urls import reverse

from tenants import services
from tenants.context import tenant_scope
from tenants.models import ApiKey

pytestmark = pytest.mark.django_db
URL = reverse("dashboard:settings-api-keys")


def test_an_owner_sees_the_keys_without_their_secrets(client, personas):
    client.force_login(personas.alice)
    body = client.get(URL).content.decode()
    assert "Alpha ERP" in body and personas.alice_key[:12] in body
    assert personas.alice_key not in body
    assert "Beta ERP" not in body


def test_a_new_key_is_shown_once_with_a_warning(client, personas):
    client.force_login(personas.alice)
    response = client.post(URL, {"name": "Warehouse", "scope": "read"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    raw = response.context["raw_key"]
    body = response.content.decode()
    assert raw.startswith("dsk_") and f'value="{raw}"' in body
    assert "This is the only time we show" in body and "data-copy-target" in body
    assert services.api_key_authenticate(raw).name == "Warehouse"
    assert raw not in client.get(URL).content.decode()


def test_a_key_without_a_name_is_refused_next_to_the_field(client, personas):
    client.force_login(personas.alice)
    response = client.post(URL, {"name": "", "scope": "read"})
    assert response.context["form"].errors["name"]
    assert response.context["raw_key"] is None


def test_revoking_a_key_stops_it_working(client, personas):
    key = services.api_key_authenticate(personas.alice_key)
    client.force_login(personas.alice)
    response = client.post(reverse("dashboard:api-key-revoke", args=[key.pk]),
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "Revoked" in response.content.decode()
    assert services.api_key_authenticate(personas.alice_key) is None


@pytest.mark.parametrize("url", [URL, reverse("dashboard:api-key-revoke", args=[1])])
def test_an_agent_gets_a_403_for_api_keys(client, personas, url):
    client.force_login(personas.bob)
    method = client.get if url == URL else client.post
    assert method(url).status_code == 403


def test_the_key_list_does_not_grow_queries_with_keys(
        client, personas, django_assert_max_num_queries):
    for n in range(10):
        with tenant_scope(personas.tenant_a):
            services.api_key_create(personas.tenant_a, name=f"key {n}", actor=personas.alice)
    client.force_login(personas.alice)
    client.get(URL)
    with django_assert_max_num_queries(4):
        response = client.get(URL)
    with tenant_scope(personas.tenant_a):
        assert len(response.context["keys"]) == ApiKey.objects.unscoped(reason="test").filter(
            tenant=personas.tenant_a).count()
