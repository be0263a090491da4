"""The Analytics area (namespace `analytics`); it replaces the placeholder area."""

from django.urls import path

from . import views

app_name = "analytics"
urlpatterns = [
    path("analytics/", views.analytics_home, name="home"),
    path("analytics/export/", views.analytics_export, name="export"),
    path("analytics/messages/", views.analytics_messages, name="messages"),
    path("analytics/shipments/", views.analytics_shipments, name="shipments"),
]
