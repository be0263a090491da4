from django.urls import path

from .api import AnalyticsKpisApi

urlpatterns = [
    path("analytics/kpis/", AnalyticsKpisApi.as_view(), name="api-analytics-kpis"),
]
