from django.urls import path

from .api import feedback
from .api import views as api
from .settings_api import TrackingSettingsApi

urlpatterns = [
    path("tracking-events/", api.TrackingEventListApi.as_view(), name="api-tracking-events"),
    path("shipments/", api.ShipmentListApi.as_view(), name="api-shipment-list"),
    path("shipments/<int:shipment_id>/", api.ShipmentDetailApi.as_view(),
         name="api-shipment-detail"),
    # The order detail shows shipments, so it is composed here (orders sits a layer below).
    path("orders/<int:order_id>/", api.OrderDetailApi.as_view(), name="api-order-detail"),
    path("tracking-settings/", TrackingSettingsApi.as_view(), name="api-tracking-settings"),
    path("shipments/<int:shipment_id>/feedback/", feedback.ShipmentFeedbackApi.as_view(),
         name="api-shipment-feedback"),
    path("feedback/", feedback.FeedbackListApi.as_view(), name="api-feedback-list"),
]
