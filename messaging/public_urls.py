"""Shopper-facing message links (signed tokens, links.py): open pixel, click redirect,
preferences and RFC 8058 one-click unsubscribe. Included from config/urls.py."""

from django.urls import path

from . import views

urlpatterns = [
    path("m/o/<str:token>.gif", views.open_pixel, name="message-open-pixel"),
    path("m/c/<str:token>/", views.click_redirect, name="message-click"),
    path("u/<str:token>/", views.preferences, name="message-preferences"),
    path("u/<str:token>/one-click/", views.one_click_unsubscribe, name="message-one-click"),
]
