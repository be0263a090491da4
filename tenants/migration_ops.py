"""Operations that the apps' migrations share."""

from __future__ import annotations

from django.db import migrations
from django.db.migrations.operations.base import Operation


def tenant_fk_unindexed(app_label: str, alter_fields: list[Operation]) -> Operation:
    """The `tenant` foreign keys of these models lose their plain (tenant_id) index
    (tenants/scoping.py says why). `alter_fields` change the state only: Django's AlterField
    would also drop and re-add each foreign key constraint, which PostgreSQL validates by
    reading every row under lock; here the index alone is dropped."""
    models = [operation.model_name for operation in alter_fields]  # type: ignore[attr-defined]

    def tables(apps) -> list[str]:
        return [apps.get_model(app_label, name)._meta.db_table for name in models]

    def drop(apps, schema_editor) -> None:
        with schema_editor.connection.cursor() as cursor:
            for table in tables(apps):
                cursor.execute(
                    "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() "
                    "AND tablename = %s AND indexdef LIKE 'CREATE INDEX %%' "
                    "AND indexdef ~ 'USING btree \\(tenant_id\\)$'", [table])
                for (name,) in cursor.fetchall():
                    schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(name)}")

    def create(apps, schema_editor) -> None:
        for table in tables(apps):
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {schema_editor.quote_name(table + '_tenant_id')} "
                f"ON {schema_editor.quote_name(table)} (tenant_id)")

    return migrations.SeparateDatabaseAndState(
        state_operations=alter_fields,
        database_operations=[migrations.RunPython(drop, create, elidable=False)])
