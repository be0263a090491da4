"""The lookup on Doorstep's address; tracking/domain_urls.py serves it as /track/ on a store's
own tracking domain. Included from config/urls.py."""

from django.urls import path

from . import views

urlpatterns = [
    path("s/<slug:tenant_slug>/track/", views.tracking_lookup, name="tracking-lookup"),
]
