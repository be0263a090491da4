"""Cross-tenant cases for /api/v1/recommendations/…: its only path parameter is a kind, and
the object ids it takes (a preview's order or product, pinned products) are checked in
recommendations/tests/test_api.py (another store's product: 404 in a preview, refused by id
in a pin list) and test_picks.py (associations and picks never cross stores)."""

from .harness import no_tenant_object

no_tenant_object("api-recommendation-product-rules",
                 "`kind` is pinned, blocked or curated: a word, not a tenant's object")
no_tenant_object("recommendations:products",
                 "the dashboard's `kind` is pinned, blocked or curated: a word, not a tenant's "
                 "object; the products named in the form are looked up in the member's store "
                 "only (recommendations/tests/test_dashboard.py: another store's product is "
                 "refused by name)")
