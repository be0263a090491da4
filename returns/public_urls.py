"""The returns portal on Doorstep's address (DESIGN.md "Public URLs"); returns/domain_urls.py
serves it as /returns/ on a store's own tracking domain. Included from config/urls.py."""

from django.urls import path

from .portal import views

urlpatterns = [
    path("s/<slug:tenant_slug>/returns/", views.return_start, name="returns-start"),
    path("s/<slug:tenant_slug>/returns/new/<str:grant>/", views.return_new, name="returns-new"),
    path("s/<slug:tenant_slug>/returns/<str:token>/", views.return_status, name="returns-status"),
    path("s/<slug:tenant_slug>/returns/<str:token>/authorization/", views.return_authorization,
         name="returns-authorization"),
    path("s/<slug:tenant_slug>/returns/<str:token>/photos/<int:photo_id>/", views.return_photo,
         name="returns-photo"),
]
