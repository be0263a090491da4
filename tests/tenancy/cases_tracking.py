"""Cross-tenant entries for the tracking app."""

from tracking.carriers import ADAPTERS

from .harness import no_tenant_object

for _source in ADAPTERS:
    no_tenant_object(
        f"webhook-{_source}",
        "the slug names the receiving store on purpose; only that store's own webhook secret "
        "gets a body in (tracking/tests/test_webhook_pipeline.py: another tenant's secret is 401)",
    )

no_tenant_object(
    "webhook-shopify",
    "the slug names the receiving store on purpose; only that store's own Shopify secret gets a "
    "body in (tracking/tests/test_shopify_webhook.py: another tenant's secret is 401)",
)

no_tenant_object(
    "webhook-unknown-source",
    "answers 404 for every store alike; keeps the body in the named store's log, where only "
    "that store's members can read it",
)
