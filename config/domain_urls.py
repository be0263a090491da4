"""A store's own tracking domain (tenants.domains.TenantHostMiddleware routes its Host here,
settings.SHOPPER_DOMAIN_URLCONF): that store's shopper pages and nothing else. The returns
portal first, then tracking's routes, which end with the shopper's 404 for every other address."""

from django.urls import include, path

urlpatterns = [
    path("", include("returns.domain_urls")),
    path("", include("tracking.domain_urls")),
]

handler404 = "config.views.not_found"
handler500 = "config.views.server_error"
