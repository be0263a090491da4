"""Dashboard pages of the tracking app (namespace `tracking`); webhooks themselves come in
through tenants/webhook_urls.py."""

from django.urls import path

from .views import imports, shipments, webhooks

app_name = "tracking"
urlpatterns = [
    path("shipments/", shipments.shipment_list, name="shipments"),
    path("shipments/<int:shipment_id>/", shipments.shipment_detail, name="shipment"),
    path("shipments/<int:shipment_id>/mark/", shipments.shipment_mark, name="shipment-mark"),
    path("webhook-log/", webhooks.webhook_list, name="webhooks"),
    path("webhook-log/<int:inbound_id>/", webhooks.webhook_detail, name="webhook"),
    path("webhook-log/<int:inbound_id>/replay/", webhooks.webhook_replay, name="webhook-replay"),
    path("settings/integrations/<slug:source>/test-event/", webhooks.webhook_test_event,
         name="webhook-test-event"),
    path("orders/import/", imports.orders_import, name="orders-import"),
    path("orders/import/template.csv", imports.orders_import_template,
         name="orders-import-template"),
    path("orders/import/<int:job_id>/", imports.orders_import_job, name="orders-import-job"),
    path("orders/import/<int:job_id>/progress/", imports.orders_import_progress,
         name="orders-import-progress"),
]
