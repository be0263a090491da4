"""The dev outbox's pages (namespace `outbox`; messaging/dashboard/outbox.py)."""

from django.urls import path

from .dashboard import outbox

app_name = "outbox"
urlpatterns = [
    path("outbox/", outbox.outbox_list, name="list"),
    path("outbox/<int:message_id>.eml", outbox.outbox_message_eml, name="eml"),
]
