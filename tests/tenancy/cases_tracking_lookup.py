"""Cross-tenant entries for the tracking lookup. The slug names a store on purpose (its public
lookup page); what the lookup finds is read in that store's scope only, so another store's
order number, e-mail or tracking number finds nothing (tracking/tests/test_lookup.py,
tracking/tests/test_custom_domains.py; a store's own domain: test_store_domains.py here)."""

from .harness import no_tenant_object

no_tenant_object("tracking-lookup", "the slug names the store whose public lookup this is; "
                 "orders and parcels are looked up in that store's scope only (another "
                 "store's order or tracking number is 'not found', test_lookup.py)")
