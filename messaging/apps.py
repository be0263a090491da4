from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"

    def ready(self) -> None:
        from orders.signals import customer_redacted, order_milestone_reached
        from tenants.signals import tenant_created
        from tracking.signals import milestone_reached

        from . import signals_receivers as receivers

        # dispatch_uid: connecting twice (tests that re-run ready) must not plan twice.
        milestone_reached.connect(receivers.on_shipment_milestone_reached,
                                  dispatch_uid="messaging.shipment_milestone")
        order_milestone_reached.connect(receivers.on_order_milestone_reached,
                                        dispatch_uid="messaging.order_milestone")
        tenant_created.connect(receivers.on_tenant_created,
                               dispatch_uid="messaging.tenant_created")
        customer_redacted.connect(receivers.on_customer_redacted,
                                  dispatch_uid="messaging.customer_redacted")

        # The webhook log's Replay button lives in tracking (a lower app): tell it how.
        from tracking.services import inbound_replayer_register

        from .webhooks import replay_sendgrid, replay_twilio

        inbound_replayer_register("sendgrid", replay_sendgrid)
        inbound_replayer_register("twilio", replay_twilio)
