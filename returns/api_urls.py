"""/api/v1/ endpoints of the returns app (returns/api/views.py)."""

from django.urls import path

from .api import views as api

urlpatterns = [
    path("returns/", api.ReturnListApi.as_view(), name="api-return-list"),
    path("returns/<int:return_id>/", api.ReturnDetailApi.as_view(), name="api-return-detail"),
    path("returns/<int:return_id>/approve/", api.ReturnApproveApi.as_view(),
         name="api-return-approve"),
    path("returns/<int:return_id>/reject/", api.ReturnRejectApi.as_view(),
         name="api-return-reject"),
    path("returns/<int:return_id>/receive/", api.ReturnReceiveApi.as_view(),
         name="api-return-receive"),
    path("returns/<int:return_id>/settle/", api.ReturnSettleApi.as_view(),
         name="api-return-settle"),
    path("returns/<int:return_id>/cancel/", api.ReturnCancelApi.as_view(),
         name="api-return-cancel"),
    path("return-policy/", api.ReturnPolicyApi.as_view(), name="api-return-policy"),
]
