"""The dashboard shell: who gets in, what they see, and switching between stores."""

import pytest
from django.urls import reverse

from tenants.context import tenant_scope
from tenants.middleware import SESSION_KEY
from tenants.models import Membership, Tenant
from tenants.permissions import Perm, Role
from tenants.rls import cross_tenant
from tenants.tests.factories import UserFactory, add_member, make_tenant

pytestmark = pytest.mark.django_db


def test_an_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(reverse("dashboard:settings-brand"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert "next=/settings/brand/" in response["Location"]


def test_the_overview_shows_the_store_and_its_getting_started_checklist(client, personas):
    client.force_login(personas.alice)
    response = client.get(reverse("dashboard:home"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Alpha Outfitters</h1>" in body
    for step in ("Make it yours", "Connect your store and carriers", "Create an API key",
                 "Invite your team"):
        assert step in body
    # Alice's personas come with an API key and Bob as a colleague: two of four steps done.
    assert "2 of 4 done" in body


def test_the_checklist_ticks_integrations_once_one_is_connected(client, personas):
    from tenants import services

    with tenant_scope(personas.tenant_a):
        services.credential_set(personas.tenant_a, "easypost", {"webhook_secret": "s3cret"})
    client.force_login(personas.alice)
    body = client.get(reverse("dashboard:home")).content.decode()
    assert "3 of 4 done" in body


def test_the_overview_needs_few_queries(client, personas, django_assert_max_num_queries):
    client.force_login(personas.alice)
    client.get(reverse("dashboard:home"))  # the first visit also stores the tenant choice
    # 5, and the analytics headline's one read of the rollups (none while it is cached).
    with django_assert_max_num_queries(6):
        assert client.get(reverse("dashboard:home")).status_code == 200


def test_a_user_without_a_store_is_offered_to_create_one(client):
    loner = UserFactory(email="loner@example.test")
    client.force_login(loner)
    response = client.get(reverse("dashboard:home"))
    assert response.status_code == 200
    assert "You are not in a store yet" in response.content.decode()
    response = client.post(reverse("dashboard:store-create"), {"name": "Loner Lamps"})
    assert response.status_code == 302
    tenant = Tenant.objects.get(name="Loner Lamps")
    with cross_tenant("a test finds the one store a user is in"):
        assert Membership.objects.unscoped(reason="test").get(user=loner).tenant == tenant
    assert client.session[SESSION_KEY] == tenant.pk
    assert "Loner Lamps" in client.get(reverse("dashboard:home")).content.decode()


def test_creating_a_store_without_a_name_says_so_next_to_the_field(client):
    client.force_login(UserFactory())
    response = client.post(reverse("dashboard:store-create"), {"name": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert 'id="field-name"' in response.content.decode()


def test_a_user_without_a_store_cannot_post_to_settings(client):
    client.force_login(UserFactory())
    response = client.post(reverse("dashboard:settings-general"), {"name": "x"})
    assert response.status_code == 403


def test_the_navigation_lists_every_product_area(client, personas):
    client.force_login(personas.alice)
    body = client.get(reverse("dashboard:home")).content.decode()
    nav = body[body.index('<nav class="sidenav"'):]
    nav = nav[:nav.index("</nav>")]
    for label, url in (("Overview", "/"), ("Orders", "/orders/"), ("Shipments", "/shipments/"),
                       ("Messages", "/messages/"), ("Journeys", "/journeys/"),
                       ("Returns", "/returns/"), ("Recommendations", "/recommendations/"),
                       ("Analytics", "/analytics/"), ("Settings", "/settings/")):
        assert f'href="{url}"' in nav and label in nav, label


def test_the_switcher_lists_every_store_of_the_user(client, personas):
    add_member(personas.tenant_b, personas.alice, Role.VIEWER)
    client.force_login(personas.alice)
    body = client.get(reverse("dashboard:home")).content.decode()
    assert body.count("data-store-name") == 2
    assert "Beta Bikes" in body


def test_switching_to_a_store_of_the_user_changes_the_dashboard(client, personas):
    add_member(personas.tenant_b, personas.alice, Role.VIEWER)
    client.force_login(personas.alice)
    response = client.post(reverse("dashboard:switch-tenant"), {"tenant": personas.tenant_b.pk})
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == personas.tenant_b.pk
    assert "<h1>Beta Bikes</h1>" in client.get(reverse("dashboard:home")).content.decode()


def test_switching_refuses_a_store_the_user_is_not_a_member_of(client, personas):
    client.force_login(personas.carol)
    response = client.post(reverse("dashboard:switch-tenant"), {"tenant": personas.tenant_a.pk})
    assert response.status_code == 404
    assert client.session[SESSION_KEY] == personas.tenant_b.pk
    assert "Alpha Outfitters" not in response.content.decode()


def test_switching_needs_a_post(client, personas):
    client.force_login(personas.alice)
    assert client.get(reverse("dashboard:switch-tenant")).status_code == 405


def test_a_missing_page_is_friendly_and_inside_the_dashboard(client, personas):
    client.force_login(personas.alice)
    response = client.get("/settings/members/999999/nothing/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "We can't find that page" in body and 'id="sidenav"' in body


def test_a_forbidden_page_explains_itself_in_plain_words(client, personas):
    client.force_login(personas.bob)
    response = client.get(reverse("dashboard:settings-api-keys"))
    assert response.status_code == 403
    body = response.content.decode()
    assert "To manage API keys in Alpha Outfitters you need to be owner or admin" in body
    assert "Your role is <strong>agent</strong>" in body
    assert "alice@alpha.test" in body  # whom to ask


def test_a_second_store_can_be_created_from_the_switcher(client, personas):
    client.force_login(personas.carol)
    assert client.get(reverse("dashboard:store-create")).status_code == 200
    client.post(reverse("dashboard:store-create"), {"name": "Beta Bikes Outlet"})
    assert "<h1>Beta Bikes Outlet</h1>" in client.get(reverse("dashboard:home")).content.decode()


# The dashboard's URL namespaces: the shell's own pages and each app's.
DASHBOARD_NAMESPACES = {"dashboard", "tracking-settings", "tracking", "orders", "messaging",
                        "outbox"}


def test_every_dashboard_view_names_a_permission():
    from django.urls import URLResolver, get_resolver

    views: dict[str, list] = {}

    def collect(patterns, namespace):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                collect(entry.url_patterns, entry.namespace or namespace)
            elif namespace in DASHBOARD_NAMESPACES:
                views.setdefault(namespace, []).append(entry)

    collect(get_resolver().url_patterns, None)
    # A namespace renamed or gone would leave nothing to check: each must be found.
    assert set(views) == DASHBOARD_NAMESPACES
    unnamed = [f"{namespace}:{entry.name}" for namespace, entries in views.items()
               for entry in entries
               # store-create makes the tenant, so there is none to hold a permission in yet
               if entry.name != "store-create"
               and not isinstance(getattr(entry.callback, "dashboard_perm", None), Perm)]
    assert not unnamed


def test_the_tenant_switcher_is_hidden_from_a_tenant_less_user(client):
    other = make_tenant("Solo Socks", UserFactory())
    client.force_login(UserFactory())
    body = client.get(reverse("dashboard:home")).content.decode()
    assert "tenant-switcher" not in body and other.name not in body
