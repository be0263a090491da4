from django.urls import path

from . import api

urlpatterns = [
    path("tracking-events/", api.TrackingEventBatchApi.as_view(), name="api-tracking-events"),
]
