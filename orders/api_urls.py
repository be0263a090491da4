"""/api/v1/ endpoints of the orders app. The order detail (`api-order-detail`, with shipments)
is in tracking/api_urls.py: it shows shipments, which live a layer above orders."""

from django.urls import path

from .api import views

urlpatterns = [
    path("customers/", views.CustomerListApi.as_view(), name="api-customer-list"),
    path("customers/<int:customer_id>/", views.CustomerDetailApi.as_view(),
         name="api-customer-detail"),
    path("products/", views.ProductListApi.as_view(), name="api-product-list"),
    path("products/<int:product_id>/", views.ProductDetailApi.as_view(),
         name="api-product-detail"),
    path("orders/", views.OrderListApi.as_view(), name="api-order-list"),
    path("orders/search/", views.OrderSearchApi.as_view(), name="api-order-search"),
]
