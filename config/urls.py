from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.static import serve

from config.health import healthz
from config.views import shopper_fallback_urls

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", include("config.api_urls")),
    path("", include("tenants.webhook_urls")),  # every source's, from the registry
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("", include("tenants.public_urls")),
    path("", include("tracking.settings_urls")),
    path("", include("tracking.dashboard_urls")),
    path("", include("orders.dashboard_urls")),
    path("", include("messaging.dashboard_urls")),
    path("", include("messaging.outbox_urls")),
    path("", include("messaging.public_urls")),
    path("", include("tracking.public_urls")),
    path("", include("tracking.lookup.urls")),
    path("", include("tenants.urls")),
]
urlpatterns += shopper_fallback_urls  # last: unknown shopper addresses

if not settings.PRODUCTION:
    # Uploaded logos in embedded mode; production serves media from its own storage.
    urlpatterns.append(path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT}))

handler404 = "config.views.not_found"
handler500 = "config.views.server_error"
