"""Dashboard URLs of the returns app that the agent console's order page posts to."""

from django.urls import path

from . import console_views

app_name = "returns-console"
urlpatterns = [
    path("orders/<int:order_id>/returns/start/", console_views.return_start, name="start"),
]
