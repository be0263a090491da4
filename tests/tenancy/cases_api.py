"""Cross-tenant cases for the API endpoints of the tenants app."""

from tenants import services
from tenants.context import tenant_scope

from .harness import cross_tenant_case


@cross_tenant_case("api-credential-detail", methods=("GET", "PATCH", "DELETE"))
def _alices_shopify_credentials(p) -> dict:
    with tenant_scope(p.tenant_a):
        services.credential_set(p.tenant_a, "shopify", {
            "shop_domain": "alpha-private.myshopify.com", "webhook_secret": "alpha-shopify-secret"})
    return {"name": "shopify"}
