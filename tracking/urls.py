from django.urls import path

from .carriers import ADAPTERS
from .shopify.views import shopify_webhook
from .webhooks import carrier_webhook, unknown_source_webhook

urlpatterns = [
    path(f"webhooks/{source}/<slug:tenant_slug>/", carrier_webhook, {"source": source},
         name=f"webhook-{source}")
    for source in ADAPTERS
] + [
    path("webhooks/shopify/<slug:tenant_slug>/", shopify_webhook, name="webhook-shopify"),
]

# Last of all webhook routes (config/urls.py appends it at the end), so every real source,
# including the messaging providers', is matched first.
fallback_urlpatterns = [
    path("webhooks/<str:source>/<slug:tenant_slug>/", unknown_source_webhook,
         name="webhook-unknown-source"),
]
