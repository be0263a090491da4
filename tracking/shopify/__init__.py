"""Shopify ingestion: `POST /webhooks/shopify/<tenant-slug>/` (docs/shopify.md).

                    (the endpoint is the shared edge, tenants/inbound.py; apps.py registers it)
    mapping.py      Shopify's order JSON → the orders app's upsert inputs (pure)
    processing.py   verify, route by X-Shopify-Topic, dedup by X-Shopify-Webhook-Id; apply in a task
    fulfillments.py a fulfillment's tracking numbers → shipments with their order lines
    privacy.py      the mandatory topics: customers/data_request, customers/redact, shop/redact
    fixtures/       recorded bodies per topic (and the published HMAC vector, byte for byte)

It lives in tracking, not orders, because a fulfillment creates shipments (a layer above
orders); orders and customers are written through `orders.services`.
"""
