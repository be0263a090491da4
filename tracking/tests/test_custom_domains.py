"""A store's own tracking domain (Brand.custom_tracking_domain): its Host serves that store's
shopper pages at /t/… and /track/, nothing else; another store's token there is the same 404;
hosts that are neither Doorstep's nor a store's are refused as Django refuses them."""

import re

import pytest
from django.core.cache import cache

from tenants import services
from tenants.context import tenant_scope
from tenants.models import Tenant
from tracking.tests.page_support import make_parcel

ALPHA = "track.alpha.example"
BETA = "track.beta.example"


def unmasked(response) -> str:
    """The page without its per-request CSRF token (the shared error layout carries one)."""
    return re.sub(r'"X-CSRFToken": "[^"]*"', "", response.content.decode())


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()  # the host → store map and rate-limit windows live in Redis


@pytest.fixture
def domains(personas):
    with tenant_scope(personas.tenant_a):
        services.brand_update(personas.tenant_a, custom_tracking_domain=ALPHA)
    with tenant_scope(personas.tenant_b):
        services.brand_update(personas.tenant_b, custom_tracking_domain=BETA)


@pytest.fixture
def parcels(personas, domains):
    return (make_parcel(personas.tenant_a, statuses=("in_transit",)),
            make_parcel(personas.tenant_b, statuses=("out_for_delivery",)))


@pytest.mark.django_db
def test_a_stores_domain_serves_its_tracking_page(client, parcels):
    alpha, _beta = parcels
    response = client.get(alpha.url, HTTP_HOST=ALPHA)
    assert response.status_code == 200
    assert "Alpha Outfitters" in response.content.decode()


@pytest.mark.django_db
def test_another_stores_token_on_a_stores_domain_is_the_same_404(client, parcels):
    alpha, beta = parcels
    missing = client.get("/t/" + "x" * 32 + "/", HTTP_HOST=ALPHA)
    foreign = client.get(beta.url, HTTP_HOST=ALPHA)
    assert (missing.status_code, foreign.status_code) == (404, 404)
    assert "Beta Bikes" not in foreign.content.decode()
    assert unmasked(foreign) == unmasked(missing)
    # Cached or not: the page for Beta's token, once rendered on Doorstep's address, still
    # does not show on Alpha's domain.
    assert client.get(beta.url).status_code == 200
    assert client.get(beta.url, HTTP_HOST=ALPHA).status_code == 404
    assert client.get(beta.url, HTTP_HOST=BETA).status_code == 200
    assert client.get(f"{beta.url}go/1/", HTTP_HOST=ALPHA).status_code == 404


@pytest.mark.django_db
def test_the_lookup_answers_at_track_on_the_domain_for_that_store_only(client, parcels):
    alpha, beta = parcels
    found = client.post("/track/", {"number": alpha.order.number, "contact": "10115"},
                        HTTP_HOST=ALPHA)
    assert (found.status_code, found["Location"]) == (303, alpha.url)
    theirs = client.post("/track/", {"number": beta.order.number, "contact": "10115"},
                         HTTP_HOST=ALPHA)
    assert theirs.status_code == 200
    assert beta.shipment.public_token not in theirs.content.decode()
    assert "Alpha Outfitters" in theirs.content.decode()
    assert "Beta Bikes" not in theirs.content.decode()
    # Another store's lookup by slug is not served on the domain either.
    assert client.get("/s/beta/track/", HTTP_HOST=ALPHA).status_code == 404


@pytest.mark.django_db
def test_the_bare_domain_leads_to_the_lookup(client, domains):
    response = client.get("/?lang=de", HTTP_HOST=ALPHA)
    assert (response.status_code, response["Location"]) == (302, "/track/?lang=de")


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/accounts/login/", "/api/v1/shipments/", "/admin/",
                                  "/settings/brand/", "/healthz", "/u/whatever/", "/nothing"])
def test_a_stores_domain_serves_nothing_but_shopper_pages(client, personas, domains, path):
    client.force_login(personas.alice)
    response = client.get(path, HTTP_HOST=ALPHA, follow=True)  # "/nothing" → "/nothing/"
    assert response.status_code == 404
    if not path.startswith("/api/"):
        assert "Log in" not in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("host", ["evil.example", "track.alpha.example.evil.example",
                                  "-bad-.example", "a b.example", "nothing"])
def test_a_host_that_is_neither_doorsteps_nor_a_stores_is_refused(client, domains, host):
    assert client.get("/track/", HTTP_HOST=host).status_code == 400
    assert client.get("/", HTTP_HOST=host).status_code == 400


@pytest.mark.django_db
def test_the_domain_is_matched_without_case_port_or_final_dot(client, parcels):
    alpha, _beta = parcels
    for host in ("Track.Alpha.Example", "track.alpha.example:443", "track.alpha.example."):
        assert client.get(alpha.url, HTTP_HOST=host).status_code == 200, host


@pytest.mark.django_db
def test_doorsteps_own_hosts_serve_every_stores_pages(client, parcels):
    alpha, beta = parcels
    assert client.get(alpha.url).status_code == 200
    assert client.get(beta.url).status_code == 200
    assert client.get("/s/alpha/track/").status_code == 200


@pytest.mark.django_db
def test_a_changed_domain_moves_at_once(client, personas, parcels,
                                        django_capture_on_commit_callbacks):
    alpha, _beta = parcels
    assert client.get(alpha.url, HTTP_HOST=ALPHA).status_code == 200  # now cached
    assert client.get(alpha.url, HTTP_HOST="parcels.alpha.example").status_code == 400  # too
    with django_capture_on_commit_callbacks(execute=True), tenant_scope(personas.tenant_a):
        services.brand_update(personas.tenant_a, custom_tracking_domain="parcels.alpha.example")
    assert client.get(alpha.url, HTTP_HOST=ALPHA).status_code == 400
    assert client.get(alpha.url, HTTP_HOST="parcels.alpha.example").status_code == 200
    with django_capture_on_commit_callbacks(execute=True), tenant_scope(personas.tenant_a):
        services.brand_update(personas.tenant_a, custom_tracking_domain="")
    assert client.get(alpha.url, HTTP_HOST="parcels.alpha.example").status_code == 400


@pytest.mark.django_db
def test_a_suspended_stores_domain_is_refused(client, personas, domains):
    Tenant.objects.filter(pk=personas.tenant_a.pk).update(status=Tenant.Status.SUSPENDED)
    assert client.get("/track/", HTTP_HOST=ALPHA).status_code == 400


@pytest.mark.django_db
def test_a_stores_domain_wins_over_the_sites_wildcard(client, personas, parcels, settings):
    settings.SITE_HOSTS = [*settings.SITE_HOSTS, ".alpha.example"]
    client.force_login(personas.alice)
    assert client.get("/settings/brand/", HTTP_HOST="app.alpha.example").status_code != 400
    assert client.get("/settings/brand/", HTTP_HOST=ALPHA).status_code == 404
