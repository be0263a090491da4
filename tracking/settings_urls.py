"""Settings → Tracking in the dashboard (namespace `tracking-settings`)."""

from django.urls import path

from . import page_settings_views, settings_views

app_name = "tracking-settings"
urlpatterns = [
    path("settings/tracking/", settings_views.tracking_settings, name="tracking"),
    path("settings/tracking-page/", page_settings_views.tracking_page_settings,
         name="tracking-page"),
    path("settings/tracking-page/preview/", page_settings_views.tracking_page_preview,
         name="tracking-page-preview"),
]
