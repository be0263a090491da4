"""A store's own tracking domain (tenants.domains.TenantHostMiddleware routes its Host here):
that store's shopper pages and nothing else. No dashboard, API, admin or other store's lookup
answers on it; every other address is the shopper's 404."""

from django.conf import settings
from django.urls import include, path, re_path
from django.views.generic.base import RedirectView
from django.views.static import serve

from config.views import shopper_unknown

from .lookup import views as lookup_views

urlpatterns = [
    # The bare domain is where a shopper who lost the e-mail types in: the lookup.
    path("", RedirectView.as_view(url="/track/", query_string=True)),
    path("", include("tracking.public_urls")),  # /t/<token>/… (the page checks the store)
    path("track/", lookup_views.domain_tracking_lookup, name="domain-tracking-lookup"),
]
if not settings.PRODUCTION:
    # The shop's logo in embedded mode, as config/urls.py serves it on Doorstep's address.
    urlpatterns.append(path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT}))
urlpatterns.append(re_path(r"^(?:.*/)?$", shopper_unknown))

handler404 = "config.views.not_found"
handler500 = "config.views.server_error"
