"""Carol (tenant B) reaches nothing of Alice's (tenant A), through any URL that exists.

1. Every one of our URLs with path parameters is a registered case or explicitly names no
   tenant object (harness.py); a new URL in neither place fails here.
2. For each case, Carol gets 404 with every registered method, and Alice's data is unchanged.
3. Every one of our parameterless GET pages and API endpoints, fetched as Carol, shows nothing
   that belongs to tenant A.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tenants import services
from tenants.context import tenant_scope
from tenants.inbound import inbound_store
from tenants.scoping import TenantScopedModel

from .harness import CASES, NO_TENANT_OBJECT, load_all_cases

load_all_cases()

OUR_PACKAGES = {"config", "tenants", "orders", "recommendations", "tracking", "returns",
                "messaging", "analytics"}
# Strings that exist only in tenant A: none may appear in anything Carol is shown.
TENANT_A_MARKERS = ["Alpha Outfitters", "alice@alpha.test", "bob@alpha.test", "dave@alpha.test",
                    "alpha-private.myshopify.com", "+14155550199", "ALPHA-ORDER-7781",
                    "alpha.shopper@example.test", "ALPHATRACK0001", "Alpha Secret Tent"]


def _walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            yield namespace + (entry.name or ""), prefix + str(entry.pattern), entry


def _is_ours(pattern: URLPattern) -> bool:
    callback = pattern.callback
    module = getattr(callback, "view_class", callback).__module__
    return module.split(".")[0] in OUR_PACKAGES


def _has_params(pattern: URLPattern) -> bool:
    regex = pattern.pattern.regex
    return bool(regex.groupindex) or regex.groups > 0


def our_urls() -> list[tuple[str, str, URLPattern]]:
    # The Django admin is for operators (staff) across tenants: not a tenant-facing surface.
    return [u for u in _walk(get_resolver().url_patterns)
            if _is_ours(u[2]) and not u[0].startswith("admin:")]


def test_every_url_with_parameters_is_covered_by_a_cross_tenant_case():
    uncovered = sorted(
        f"{name or '(unnamed)'} at /{route}" for name, route, pattern in our_urls()
        if _has_params(pattern) and name not in CASES and name not in NO_TENANT_OBJECT
    )
    assert not uncovered, (
        "Register these in tests/tenancy/cases_<area>.py (cross_tenant_case or "
        f"no_tenant_object): {uncovered}")


def test_registered_cases_name_urls_that_exist():
    names = {name for name, _, _ in our_urls()}
    assert not (set(CASES) | set(NO_TENANT_OBJECT)) - names


def _seed_tenant_a(p) -> None:
    """Data in tenant A that must never show up for Carol."""
    with tenant_scope(p.tenant_a):
        services.brand_update(p.tenant_a, sender_name="Alpha Outfitters Crew")
        services.invitation_create(p.tenant_a, email="dave@alpha.test", role="viewer", actor=p.alice)
        services.credential_set(p.tenant_a, "shopify", {
            "shop_domain": "alpha-private.myshopify.com", "webhook_secret": "alpha-shopify-secret"})
        services.credential_set(p.tenant_a, "twilio", {
            "account_sid": "AC" + "a1" * 16, "auth_token": "f0" * 16, "from_number": "+14155550199"})
    _seed_ingestion(p.tenant_a)
    _seed_outbox(p.tenant_a)


def _seed_outbox(tenant) -> None:
    """An e-mail kept in tenant A's dev outbox (/outbox/)."""
    from messaging.models import Message
    from messaging.tests.dashboard_support import make_message

    message = make_message(tenant, recipient="alpha.shopper@example.test")
    with tenant_scope(tenant):
        Message.objects.filter(pk=message.pk).update(provider="outbox")


def _seed_ingestion(tenant) -> None:
    """An order, a shipment with an event, and a stored webhook body in tenant A."""
    from datetime import UTC, datetime
    from decimal import Decimal

    from orders import services as order_services
    from tracking import services as tracking_services
    from tracking.models import DeliveryFeedback

    with tenant_scope(tenant):
        order, _ = order_services.order_upsert(tenant, order_services.OrderInput(
            external_id="ALPHA-ORDER-7781", number="ALPHA-ORDER-7781", currency="EUR",
            placed_at=datetime(2026, 11, 1, tzinfo=UTC),
            customer=order_services.CustomerInput(external_id="alpha-c-1",
                                                  email="alpha.shopper@example.test"),
            lines=[order_services.LineInput(title="Alpha Secret Tent", quantity=1,
                                            unit_price=Decimal("99"))]))
        shipment = tracking_services.shipment_create(tenant, carrier="DHL",
                                                     tracking_number="ALPHATRACK0001", order=order)
        DeliveryFeedback.objects.create(shipment=shipment, rating=1, low=True,
                                        comment="Alpha Secret Tent arrived wet")
        inbound_store(tenant, source="easypost",
                                        body=b'{"tracking_code": "ALPHATRACK0001"}', headers={})
        _seed_return(tenant, order)


def _seed_return(tenant, order) -> None:
    """A return of the Alpha order (its number shows in the returns queue, API and pages)."""
    from datetime import UTC, datetime

    from returns import services as return_services

    return_services.return_policy_update(tenant, actor="test")
    return_services.return_request_create(
        tenant, order.pk, [return_services.LineRequest(order.lines.get().pk, 1, "too_small")],
        resolution="refund", method="self_ship", now=datetime(2026, 11, 3, tzinfo=UTC))


def _tenant_a_counts(tenant) -> dict[str, int]:
    with tenant_scope(tenant):
        return {
            model._meta.label: model.objects.count()
            for model in apps.get_models() if issubclass(model, TenantScopedModel)
        }


def _carol_request(client, api_client, p, name: str, method: str, url: str):
    if name.startswith("api-"):
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {p.carol_key}")
        return api_client.generic(method, url, "{}", content_type="application/json")
    client.force_login(p.carol)
    return client.generic(method, url)


@pytest.mark.django_db
@pytest.mark.parametrize("case_name", sorted(CASES))
def test_carol_gets_404_for_alices_objects(client, api_client, personas, case_name):
    case = CASES[case_name]
    kwargs = case.make_kwargs(personas)
    url = reverse(case.url_name, kwargs=kwargs)
    before = _tenant_a_counts(personas.tenant_a)
    for method in case.methods:
        response = _carol_request(client, api_client, personas, case.url_name, method, url)
        assert response.status_code == 404, f"{method} {url} answered {response.status_code}"
    assert _tenant_a_counts(personas.tenant_a) == before


@pytest.mark.django_db
def test_nothing_carol_is_shown_belongs_to_alice(client, api_client, personas):
    _seed_tenant_a(personas)
    client.force_login(personas.carol)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {personas.carol_key}")
    checked = []
    for name, route, pattern in our_urls():
        if _has_params(pattern) or not name:
            continue
        url = "/" + route
        response = (api_client if name.startswith("api-") else client).get(url)
        if response.status_code in (301, 302, 405):
            continue
        body = response.content.decode(errors="replace")
        leaked = [m for m in TENANT_A_MARKERS if m in body]
        assert not leaked, f"{url} shows tenant A's {leaked}"
        checked.append(url)
    assert "/api/v1/credentials/" in checked and "/api/v1/brand/" in checked
    assert "/api/v1/feedback/" in checked
    assert {"/api/v1/returns/", "/api/v1/return-policy/", "/returns/"} <= set(checked)
    assert {"/orders/", "/shipments/", "/webhook-log/", "/outbox/"} <= set(checked)


@pytest.mark.django_db
def test_the_markers_do_show_up_for_alice(client, api_client, personas):
    """The check above would pass vacuously if the pages showed nobody's data."""
    _seed_tenant_a(personas)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {personas.alice_key}")
    assert "Alpha Secret Tent" in api_client.get("/api/v1/feedback/").content.decode()
    assert "ALPHA-ORDER-7781" in api_client.get("/api/v1/returns/").content.decode()
    client.force_login(personas.alice)
    assert "ALPHA-ORDER-7781" in client.get("/orders/").content.decode()
    assert "ALPHATRACK0001" in client.get("/shipments/").content.decode()
    assert "dave@alpha.test" in client.get("/settings/members/").content.decode()
    assert "alpha.shopper@example.test" in client.get("/outbox/").content.decode()
