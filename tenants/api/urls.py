from django.urls import path

from . import views

urlpatterns = [
    path("tenant/", views.TenantDetailApi.as_view(), name="api-tenant"),
    path("brand/", views.BrandDetailApi.as_view(), name="api-brand"),
    path("credentials/", views.CredentialListApi.as_view(), name="api-credential-list"),
    path("credentials/<str:name>/", views.CredentialDetailApi.as_view(),
         name="api-credential-detail"),
]
