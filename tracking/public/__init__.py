"""The shopper's tracking page, /t/<token>/ (DESIGN.md "Public URLs").

    GET /t/<token>/ ─▶ views.tracking_page
        cache.page_lookup (Redis: no SQL; the view counted) ── hit ──▶ the stored page
            │ miss
            ▼
        selectors.tracking_page_data: ONE statement by token (shipment, tenant, brand, order,
            customer, page settings, events, items, sibling parcels, feedback)
            + at most one more for the recommended products (their ids read by cache.page_lookup)
        presenting.page_context (plain words, progress, ETA, explanations, in the language
            chosen by locales.page_language) ─▶ templates/jinja2/tracking/public/page.html
        cache.page_store, under generations read before the statements
    GET /t/<token>/go/<product_id>/ ─▶ views.recommendation_click (recorded, then redirected)

Invalidation: `cache.tracking_page_forget(tenant_id, shipment_ids=None)`, called after commit
by whatever changes what the page shows (tracking's own services and receivers, the page
settings, feedback).
"""
