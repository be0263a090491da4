from django.apps import AppConfig


class ReturnsConfig(AppConfig):
    name = "returns"

    def ready(self) -> None:
        # What the agent console (orders/signals.py) shows of returns.
        from . import console

        console.connect()
        # What shoppers returned, for their recommendations.
        from . import recommendations

        recommendations.connect()
        # A return parcel's carrier scans (tracking's outbox rows of the return kind) move the
        # return: in transit, then received (returns/services/labels.py).
        from tenants.outbox import outbox_processor_register
        from tracking.models import ShipmentMilestone

        from .services import return_parcel_milestones_process

        outbox_processor_register(ShipmentMilestone.RETURN_KIND, return_parcel_milestones_process)
        # Shopify's refunds/create marks the matching return refunded.
        from . import shopify

        shopify.connect()
