from django.urls import path

from .carriers import ADAPTERS
from .shopify.views import shopify_webhook
from .webhooks import carrier_webhook

urlpatterns = [
    path(f"webhooks/{source}/<slug:tenant_slug>/", carrier_webhook, {"source": source},
         name=f"webhook-{source}")
    for source in ADAPTERS
] + [
    path("webhooks/shopify/<slug:tenant_slug>/", shopify_webhook, name="webhook-shopify"),
]
