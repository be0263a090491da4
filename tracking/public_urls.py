"""The shopper's tracking page (DESIGN.md "Public URLs"). Included from config/urls.py; a
store's own tracking domain serves the same routes."""

from django.urls import path

from .public import feedback, views

urlpatterns = [
    path("t/<str:token>/", views.tracking_page, name="tracking-page"),
    path("t/<str:token>/go/<int:product_id>/", views.recommendation_click,
         name="tracking-page-click"),
    path("t/<str:token>/feedback/", feedback.delivery_feedback, name="tracking-page-feedback"),
]
