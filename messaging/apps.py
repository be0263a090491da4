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

        # The webhook log's Replay button lives in tracking (a lower app): tell it how.
        from tracking.services import inbound_replayer_register

        from .webhooks import replay_sendgrid, replay_twilio

        inbound_replayer_register("sendgrid", replay_sendgrid)
        inbound_replayer_register("twilio", replay_twilio)
