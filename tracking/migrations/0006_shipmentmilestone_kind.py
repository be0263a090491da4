"""Shipment milestones become outbox rows with an explicit kind (tenants/outbox.py): existing
rows are filled with `tracking.shipment_milestone` by the column's default as it is added (a
constant default: PostgreSQL adds the column without rewriting the table). The milestone's
choices are tracking's own (order and journey milestones moved to their apps)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("tracking", "0005_inbound_webhook_moved"),
    ]

    operations = [
        migrations.AddField(
            model_name="shipmentmilestone",
            name="kind",
            field=models.CharField(default="tracking.shipment_milestone", max_length=64),
        ),
        migrations.AlterField(
            model_name="shipmentmilestone",
            name="milestone",
            field=models.CharField(choices=[
                ("shipped", "Shipped"), ("in_transit", "In transit"),
                ("out_for_delivery", "Out for delivery"),
                ("available_for_pickup", "Available for pickup"), ("delivered", "Delivered"),
                ("attempt_failed", "Delivery attempt failed"), ("exception", "Exception"),
                ("delayed", "Delayed"), ("stalled", "Stalled"),
                ("returned_to_sender", "Returned to sender"),
            ], max_length=32),
        ),
    ]
