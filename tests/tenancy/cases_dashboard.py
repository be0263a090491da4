"""Cross-tenant cases for the dashboard (tenants app): every URL that names an object of
Alice's tenant, which Carol (owner of tenant B, in her own session) must not reach."""

from tenants import services
from tenants.context import tenant_scope
from tenants.models import Membership

from .harness import cross_tenant_case, no_tenant_object


def _bobs_membership(p) -> int:
    with tenant_scope(p.tenant_a):
        return Membership.objects.get(user=p.bob).pk


@cross_tenant_case("dashboard:member-role", methods=("POST",))
def _alices_agent_role(p) -> dict:
    return {"membership_id": _bobs_membership(p)}


@cross_tenant_case("dashboard:member-remove", methods=("POST",))
def _alices_agent_removal(p) -> dict:
    return {"membership_id": _bobs_membership(p)}


@cross_tenant_case("dashboard:invitation-revoke", methods=("POST",))
def _alices_open_invitation(p) -> dict:
    with tenant_scope(p.tenant_a):
        invitation, _ = services.invitation_create(p.tenant_a, email="dave@alpha.test",
                                                   role="viewer", actor=p.alice)
    return {"invitation_id": invitation.pk}


@cross_tenant_case("dashboard:api-key-revoke", methods=("POST",))
def _alices_api_key(p) -> dict:
    with tenant_scope(p.tenant_a):
        key, _ = services.api_key_create(p.tenant_a, name="Alpha warehouse", actor=p.alice)
    return {"key_id": key.pk}


@cross_tenant_case("dashboard:integration-remove", methods=("POST",))
def _alices_shopify_connection(p) -> dict:
    with tenant_scope(p.tenant_a):
        services.credential_set(p.tenant_a, "shopify", {
            "shop_domain": "alpha-private.myshopify.com", "webhook_secret": "alpha-shopify-secret"})
    return {"provider": "shopify"}


no_tenant_object(
    "dashboard:integration-set",
    "names a provider from the fixed catalogue (CREDENTIAL_SPECS), not a stored object; it "
    "writes the credential of the session's own tenant, so there is nothing of another "
    "tenant to reach (removing one is the registered case dashboard:integration-remove)")
no_tenant_object(
    "invitation_accept",
    "the path holds a public invitation token, which itself names the tenant (like a "
    "tracking-page token); unknown, used or expired tokens answer 404")
