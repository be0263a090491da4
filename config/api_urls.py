"""Everything under /api/v1/: each app contributes its `api_urls`."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(authentication_classes=[], permission_classes=[]),
         name="api-schema"),
    path("docs/", SpectacularRedocView.as_view(url_name="api-schema", authentication_classes=[],
                                               permission_classes=[]), name="api-docs"),
    path("", include("tenants.api.urls")),
    path("", include("orders.api_urls")),
    path("", include("recommendations.api_urls")),
    path("", include("tracking.api_urls")),
    path("", include("messaging.api_urls")),
    path("", include("analytics.api_urls")),
]
