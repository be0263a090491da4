"""The retailer's Returns area (returns/views.py). Included from config/urls.py."""

from django.urls import path

from . import policy_views, views

app_name = "returns"
urlpatterns = [
    path("returns/", views.return_list, name="list"),
    path("returns/<int:request_id>/", views.return_detail, name="detail"),
    path("returns/<int:request_id>/approve/", views.return_approve, name="approve"),
    path("returns/<int:request_id>/reject/", views.return_reject, name="reject"),
    path("returns/<int:request_id>/receive/", views.return_receive, name="receive"),
    path("returns/<int:request_id>/settle/", views.return_settle, name="settle"),
    path("returns/<int:request_id>/photos/<int:photo_id>/", views.return_photo, name="photo"),
    path("returns/<int:request_id>/authorization/", views.return_authorization,
         name="authorization"),
    path("settings/returns/", policy_views.return_policy_edit, name="policy"),
]
