"""Settings → Tracking in the dashboard (namespace `tracking-settings`)."""

from django.urls import path

from . import settings_views

app_name = "tracking-settings"
urlpatterns = [
    path("settings/tracking/", settings_views.tracking_settings, name="tracking"),
]
