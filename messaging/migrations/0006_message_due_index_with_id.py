"""The claim's index ends with the id: `ORDER BY due_at, id LIMIT 100` then reads the rows it
takes and no more. A batch planned in one transaction shares one due_at, so the old index
(tenant, status, due_at) made every claim read and sort the whole backlog again.

The new index is built before the old one is dropped, with a plain CREATE INDEX: writes to
the table wait while it builds, which is fine while the table is small; a large one wants a
maintenance window."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("messaging", "0005_message_html_packed"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="message",
            index=models.Index(fields=["tenant", "status", "due_at", "id"],
                               name="message_tenant_due_id"),
        ),
        migrations.RemoveIndex(
            model_name="message",
            name="message_tenant_due",
        ),
    ]
