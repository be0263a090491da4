from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"

    def ready(self) -> None:
        from orders.signals import customer_redacted
        from tenants.outbox import rows_announced
        from tenants.signals import tenant_created

        from . import signals_receivers as receivers

        # dispatch_uid: connecting twice (tests that re-run ready) must not plan twice.
        # Shipment and order milestones (tracking's milestone_reached, orders'
        # order_milestone_reached) arrive a batch at a time through the outbox's batch signal.
        rows_announced.connect(receivers.on_rows_announced,
                               dispatch_uid="messaging.milestones_announced")
        tenant_created.connect(receivers.on_tenant_created,
                               dispatch_uid="messaging.tenant_created")
        customer_redacted.connect(receivers.on_customer_redacted,
                                  dispatch_uid="messaging.customer_redacted")

        # The provider callbacks messaging receives, through the shared edge (tenants/inbound.py).
        from tenants.inbound import WebhookSource, source_register

        from .webhooks.sendgrid import SOURCE as SENDGRID
        from .webhooks.sendgrid import sendgrid_receive
        from .webhooks.twilio import SOURCE as TWILIO
        from .webhooks.twilio import inbound_receive, status_receive

        source_register(WebhookSource(SENDGRID, receive=sendgrid_receive))
        source_register(WebhookSource(f"{TWILIO}-status", name=TWILIO, receive=status_receive,
                                      path="webhooks/twilio/<slug:tenant_slug>/status/"))
        source_register(WebhookSource(f"{TWILIO}-inbound", name=TWILIO, receive=inbound_receive,
                                      path="webhooks/twilio/<slug:tenant_slug>/inbound/"))
