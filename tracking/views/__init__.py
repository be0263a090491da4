"""Dashboard pages of the tracking app (the `tracking` URL namespace, tracking/dashboard_urls.py).

    shipments.py  shipment list with filters, shipment detail with its event timeline
    webhooks.py   inbound webhook log, detail, replay; "send a test event" for a carrier
    imports.py    CSV order import: template, upload, progress, recent imports

The orders import lives here, not in orders/, because it creates shipments (tracking is the
higher layer).
"""
