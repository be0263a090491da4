# Events point at the archive's new home; the old table goes (its rows were copied by 0004, in
# a transaction of its own, so no copied row has pending checks when the key changes here).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tenants', '0004_inbound_webhook_archive'),
        ('tracking', '0004_inbound_webhook_copied'),
    ]

    operations = [
        migrations.AlterField(
            model_name='trackingevent',
            name='inbound',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='events', to='tenants.inboundwebhook'),
        ),
        migrations.DeleteModel(
            name='InboundWebhook',
        ),
    ]
