"""Message.html_body stored packed (messaging/packing: zstd against a dictionary of our own
e-mails, about 0.7 kB a message instead of 4 kB of LZ4 in TOAST).

The column becomes bytea, each existing value its UTF-8 bytes (read back as they
are: only new values are packed), compressed with LZ4 as before. This rewrites the table
under an exclusive lock, which is fine while the platform's tables are small; on a large
table, run it in a maintenance window.
Backwards unpacks every packed value first.
"""

from importlib import import_module

from django.db import migrations

import messaging.packing

# 0002's LZ4, which a change of type resets: values stored before this keep it.
lz4 = import_module("messaging.migrations.0002_message_bodies_lz4")

TO_BYTEA = ("ALTER TABLE messaging_message ALTER COLUMN html_body TYPE bytea "
            "USING convert_to(html_body, 'UTF8')")
TO_TEXT = ("ALTER TABLE messaging_message ALTER COLUMN html_body TYPE text "
           "USING convert_from(html_body, 'UTF8')")


def forwards(apps, schema_editor) -> None:
    schema_editor.execute(TO_BYTEA)
    lz4.forwards(None, schema_editor)


def backwards(apps, schema_editor) -> None:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT id, html_body FROM messaging_message "
                       "WHERE get_byte(html_body, 0) = 255")
        for pk, packed in cursor.fetchall():
            text = messaging.packing.unpack(packed)
            cursor.execute("UPDATE messaging_message SET html_body = %s WHERE id = %s",
                           [text.encode(), pk])
    schema_editor.execute(TO_TEXT)
    lz4.forwards(None, schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ("messaging", "0004_message_tenant_index_dropped"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forwards, backwards)],
            state_operations=[
                migrations.AlterField(
                    model_name="message",
                    name="html_body",
                    field=messaging.packing.PackedTextField(blank=True),
                ),
            ],
        ),
    ]
