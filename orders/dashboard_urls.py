"""Dashboard pages of the orders app (namespace `orders`)."""

from django.urls import path

from . import views

app_name = "orders"
urlpatterns = [
    path("orders/", views.order_list, name="list"),
]
