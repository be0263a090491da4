"""Cross-tenant cases for /api/v1/recommendations/…: its only path parameter is a kind, and
the object ids it takes (a preview's order or product, pinned products) are checked in
recommendations/tests/test_api.py (another store's product: 404 in a preview, refused by id
in a pin list) and test_picks.py (associations and picks never cross stores)."""

from .harness import no_tenant_object

no_tenant_object("api-recommendation-product-rules",
                 "`kind` is pinned, blocked or curated: a word, not a tenant's object")
