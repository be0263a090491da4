"""Settings → General."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db
URL = reverse("dashboard:settings-general")


def test_an_owner_changes_the_store_settings(client, personas):
    client.force_login(personas.alice)
    response = client.post(URL, {"name": "Alpha Outdoor", "timezone": "Europe/Berlin",
                                 "default_locale": "de"})
    assert response.status_code == 302
    personas.tenant_a.refresh_from_db()
    assert (personas.tenant_a.name, personas.tenant_a.timezone,
            personas.tenant_a.default_locale) == ("Alpha Outdoor", "Europe/Berlin", "de")
    assert "Store settings saved." in client.get(URL).content.decode()


def test_turning_on_two_factor_sends_the_owner_to_set_it_up(client, personas):
    client.force_login(personas.alice)
    client.post(URL, {"name": "Alpha Outfitters", "timezone": "UTC", "default_locale": "en",
                      "require_two_factor": "on"})
    personas.tenant_a.refresh_from_db()
    assert personas.tenant_a.require_two_factor
    response = client.get(reverse("dashboard:home"))
    assert response["Location"] == reverse("mfa_activate_totp")


def test_an_unknown_time_zone_is_shown_next_to_the_field(client, personas):
    client.force_login(personas.alice)
    response = client.post(URL, {"name": "Alpha", "timezone": "Mars/Olympus",
                                 "default_locale": "en"})
    assert response.status_code == 200
    assert "timezone" in response.context["form"].errors
    body = response.content.decode()
    field = body[body.index('id="field-timezone"'):]
    assert 'class="errorlist"' in field[:field.index("</div>\n")]


def test_an_agent_sees_the_settings_but_cannot_change_them(client, personas):
    client.force_login(personas.bob)
    response = client.get(URL)
    assert response.status_code == 200
    assert "You can look but not change these settings" in response.content.decode()
    assert "Save changes" not in response.content.decode()
    response = client.post(URL, {"name": "Bob's store", "timezone": "UTC", "default_locale": "en"})
    assert response.status_code == 403
    personas.tenant_a.refresh_from_db()
    assert personas.tenant_a.name == "Alpha Outfitters"


def test_the_agent_sees_only_the_settings_pages_an_agent_can_use(client, personas):
    client.force_login(personas.bob)
    body = client.get(URL).content.decode()
    subnav = body[body.index('aria-label="Settings"'):]
    subnav = subnav[:subnav.index("</nav>")]
    assert "General" in subnav and "Brand" in subnav
    for hidden in ("Members", "API keys", "Integrations"):
        assert hidden not in subnav
