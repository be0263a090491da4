from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"

    def ready(self) -> None:
        from orders.models import OrderMilestone
        from orders.signals import customer_redacted
        from returns.models import ReturnMilestoneRecord
        from tenants.outbox import outbox_processor_register
        from tenants.signals import tenant_created
        from tracking.models import ShipmentMilestone

        from . import signals_receivers as receivers
        from .journeys.milestones import (
            order_milestones_plan,
            return_milestones_plan,
            shipment_milestones_plan,
        )

        # Order and shipment milestones are outbox rows: messaging plans their messages.
        outbox_processor_register(OrderMilestone.KIND, order_milestones_plan)
        outbox_processor_register(ShipmentMilestone.KIND, shipment_milestones_plan)
        outbox_processor_register(ReturnMilestoneRecord.KIND, return_milestones_plan)
        # dispatch_uid: connecting twice (tests that re-run ready) must not act twice.
        tenant_created.connect(receivers.on_tenant_created,
                               dispatch_uid="messaging.tenant_created")
        customer_redacted.connect(receivers.on_customer_redacted,
                                  dispatch_uid="messaging.customer_redacted")

        # What the agent console (orders/signals.py) shows of messages.
        from . import console

        console.connect()

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
