"""Order milestones become outbox rows with an explicit kind (tenants/outbox.py): existing rows
are filled with `orders.order_milestone` by the column's default as it is added."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("orders", "0006_orderevent_kind_feedback"),
    ]

    operations = [
        migrations.AddField(
            model_name="ordermilestone",
            name="kind",
            field=models.CharField(default="orders.order_milestone", max_length=64),
        ),
        migrations.AlterField(
            model_name="ordermilestone",
            name="milestone",
            field=models.CharField(choices=[("order_confirmed", "Order confirmed")],
                                   max_length=32),
        ),
    ]
