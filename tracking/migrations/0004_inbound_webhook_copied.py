# The inbound-webhook archive now lives in tenants (tenants/inbound.py): copy the rows kept so
# far, with their ids, so tracking events keep pointing at the body they came in. Twilio's two
# endpoints shared one source name; the endpoint column says which received each row (a status
# callback carries MessageStatus, a shopper's text does not).

from django.db import migrations

COPY = """
INSERT INTO tenants_inboundwebhook (
    id, tenant_id, source, endpoint, received_at, status, headers, query, body, body_truncated,
    remote_addr, provider_event_id, error, attempts, processed_at, events_created)
SELECT id, tenant_id, source,
       CASE WHEN source = 'twilio' AND position('MessageStatus='::bytea IN body) > 0 THEN 'twilio-status'
            WHEN source = 'twilio' THEN 'twilio-inbound'
            ELSE source END,
       received_at, status, headers, query, body, body_truncated, remote_addr, provider_event_id,
       error, attempts, processed_at, events_created
FROM tracking_inboundwebhook;
SELECT setval(pg_get_serial_sequence('tenants_inboundwebhook', 'id'),
              COALESCE((SELECT max(id) FROM tenants_inboundwebhook), 0) + 1, false);
"""


class Migration(migrations.Migration):

    dependencies = [
        ('tenants', '0004_inbound_webhook_archive'),
        ('tracking', '0003_tracking_page_feedback_views'),
    ]

    operations = [
        migrations.RunSQL(COPY, reverse_sql=migrations.RunSQL.noop),
    ]
