# The inbound-webhook archive moves below every app that receives webhooks (tenants/inbound.py).
# This creates its new table; tracking's 0004 copies the rows kept so far and drops the old one.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tenants', '0003_brand_support_contacts'),
    ]

    operations = [
        migrations.CreateModel(
            name='InboundWebhook',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('source', models.CharField(max_length=32)),
                ('endpoint', models.CharField(blank=True, max_length=32)),
                ('received_at', models.DateTimeField(auto_now_add=True)),
                ('status', models.CharField(choices=[('received', 'Received'), ('rejected', 'Rejected'), ('invalid', 'Invalid'), ('ignored', 'Ignored'), ('duplicate', 'Duplicate'), ('queued', 'Queued'), ('processed', 'Processed'), ('failed', 'Failed')], default='received', max_length=16)),
                ('headers', models.JSONField(default=dict)),
                ('query', models.CharField(blank=True, max_length=2000)),
                ('body', models.BinaryField()),
                ('body_truncated', models.BooleanField(default=False)),
                ('remote_addr', models.GenericIPAddressField(blank=True, null=True)),
                ('provider_event_id', models.CharField(blank=True, max_length=128)),
                ('error', models.TextField(blank=True)),
                ('attempts', models.PositiveIntegerField(default=0)),
                ('processed_at', models.DateTimeField(blank=True, null=True)),
                ('events_created', models.PositiveIntegerField(default=0)),
                ('tenant', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenants.tenant')),
            ],
            options={
                'ordering': ['-received_at'],
                'abstract': False,
                'indexes': [
                    models.Index(fields=['tenant', '-received_at'], name='webhook_tenant_received'),
                    models.Index(fields=['tenant', 'status', 'received_at'], name='webhook_tenant_status'),
                    models.Index(fields=['tenant', 'source', 'provider_event_id'], name='webhook_tenant_event'),
                ],
            },
        ),
    ]
