"""Everything under /api/v1/: each app contributes its `api_urls`."""

from csp.decorators import csp_replace
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView

# The reference's renderer (Redoc) injects its styles and starts a worker as it runs: this page
# alone allows inline styles (no script: templates/drf_spectacular/redoc.html has none).
api_docs = csp_replace({"style-src": ["'self'", "'unsafe-inline'"],
                        "worker-src": ["'self'", "blob:"]})(
    SpectacularRedocView.as_view(url_name="api-schema", authentication_classes=[],
                                 permission_classes=[]))

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(authentication_classes=[], permission_classes=[]),
         name="api-schema"),
    path("docs/", api_docs, name="api-docs"),
    path("", include("tenants.api.urls")),
    path("", include("orders.api_urls")),
    path("", include("recommendations.api_urls")),
    path("", include("tracking.api_urls")),
    path("", include("returns.api_urls")),
    path("", include("messaging.api_urls")),
    path("", include("analytics.api_urls")),
]
