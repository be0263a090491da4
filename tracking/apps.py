from django.apps import AppConfig


class TrackingConfig(AppConfig):
    name = "tracking"

    def ready(self) -> None:
        from tenants.inbound import WebhookSource, source_register

        from .carriers import ADAPTERS
        from .services import (
            GENERIC_SOURCE,
            SHOPIFY_SOURCE,
            generic_events_receive,
            inbound_accept,
            inbound_receive,
        )
        from .shopify.processing import shopify_receive

        # The webhooks tracking receives (tenants/inbound.py): each carrier's, answered 202
        # once verified, parsed and stored in one write (the drain applies them); Shopify's,
        # stored raw, then verified and queued; and the event API's batches, which arrive
        # through /api/v1/tracking-events/ (no webhook URL) but replay the same way.
        for carrier in ADAPTERS:
            source_register(WebhookSource(carrier, receive=inbound_receive,
                                          accept=inbound_accept, accepted=202))
        source_register(WebhookSource(SHOPIFY_SOURCE, receive=shopify_receive))
        source_register(WebhookSource(GENERIC_SOURCE, receive=generic_events_receive, path=""))

        # The shopper tracking page: what forgets its cached pages, and the task that fills
        # its recommendations (imported here so a worker registers it).
        from .public import receivers, tasks  # noqa: F401

        receivers.connect()

        # What the agent console (orders/signals.py) shows of parcels.
        from . import console

        console.connect()
