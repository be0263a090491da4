from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.static import serve

from config.health import healthz
from config.views import shopper_fallback_urls

# Django's admin signs in through allauth like the dashboard: the same rate limits and
# lockout, the user's second factor. Off by default in production (DOORSTEP_ADMIN_ENABLED).
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]  # allauth documents this
admin_urls = [path("admin/", admin.site.urls)] if settings.ADMIN_ENABLED else []

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # First: the shopper's tracking page is the most requested address, and Django tries the
    # patterns in order (about 75 of them before it otherwise); nothing else starts with t/.
    path("", include("tracking.public_urls")),
    path("api/v1/", include("config.api_urls")),
    path("", include("tenants.webhook_urls")),  # every source's, from the registry
    path("accounts/", include("allauth.urls")),
    *admin_urls,
    path("", include("tenants.public_urls")),
    path("", include("tracking.settings_urls")),
    path("", include("tracking.dashboard_urls")),
    path("", include("orders.dashboard_urls")),
    path("", include("returns.console_urls")),
    path("", include("returns.dashboard_urls")),
    path("", include("messaging.dashboard_urls")),
    path("", include("messaging.outbox_urls")),
    path("", include("analytics.dashboard_urls")),
    path("", include("recommendations.dashboard_urls")),
    path("", include("messaging.public_urls")),
    path("", include("tracking.lookup.urls")),
    path("", include("returns.public_urls")),
    path("", include("tenants.urls")),
]
urlpatterns += shopper_fallback_urls  # last: unknown shopper addresses

if not settings.PRODUCTION:
    # Uploaded logos in embedded mode; production serves media from its own storage.
    urlpatterns.append(path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT}))

handler404 = "config.views.not_found"
handler500 = "config.views.server_error"
