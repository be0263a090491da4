"""Provider webhook routes, included from config/urls.py before tracking's fallback route
(`webhooks/<source>/<slug>/`), which would otherwise swallow them."""

from django.urls import path

from .webhooks.sendgrid import sendgrid_webhook
from .webhooks.twilio import twilio_inbound_webhook, twilio_status_webhook

urlpatterns = [
    path("webhooks/sendgrid/<slug:tenant_slug>/", sendgrid_webhook, name="webhook-sendgrid"),
    path("webhooks/twilio/<slug:tenant_slug>/status/", twilio_status_webhook,
         name="webhook-twilio-status"),
    path("webhooks/twilio/<slug:tenant_slug>/inbound/", twilio_inbound_webhook,
         name="webhook-twilio-inbound"),
]
