"""Dashboard pages of the orders app (namespace `orders`): the list, the agent console's
search and the order page with the actions that belong to orders."""

from django.urls import path

from . import views

app_name = "orders"
urlpatterns = [
    path("orders/", views.order_list, name="list"),
    path("orders/search/", views.order_search, name="search"),
    path("orders/<int:order_id>/", views.order_detail, name="detail"),
    path("orders/<int:order_id>/notes/", views.order_note_add, name="note-add"),
    path("orders/<int:order_id>/customer/", views.customer_contact_correct, name="contact"),
    path("orders/<int:order_id>/consent/", views.customer_consent_set, name="consent"),
]
