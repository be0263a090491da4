"""The returns portal on a store's own tracking domain (config/domain_urls.py): /returns/…,
and the /s/<its-slug>/returns/… addresses a cached tracking page links to (a slug there must
be the domain's own store: shell.store_for). The names are the portal's own: this is another
URL root, and the cross-tenant harness reads one entry for both."""

from django.urls import include, path

from .portal import views

urlpatterns = [
    path("returns/", views.return_start, name="returns-start"),
    path("returns/new/<str:grant>/", views.return_new, name="returns-new"),
    path("returns/<str:token>/", views.return_status, name="returns-status"),
    path("returns/<str:token>/authorization/", views.return_authorization,
         name="returns-authorization"),
    path("returns/<str:token>/photos/<int:photo_id>/", views.return_photo,
         name="returns-photo"),
    path("", include("returns.public_urls")),
]
