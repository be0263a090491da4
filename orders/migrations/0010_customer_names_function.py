"""The agent console's name search under row-level security: a function that finds a tenant's
customers by a misspelt name through the trigram index.

Row-level security keeps PostgreSQL from using an index for an operator that is not
LEAKPROOF: pg_trgm's `<%` is not, so as the application's role the search scanned every row
of the store's customers (57 ms for 3,000 rows where the index took 1.3 ms, measured with
EXPLAIN ANALYZE). `doorstep_customer_names(typed, lim)` runs as its owner (SECURITY DEFINER:
the tables' owner, whom the policy does not bind) and applies the policy's own rule itself:
only the customers of the tenant in the session's `app.tenant_id`, none without one (the
cross-tenant path finds nothing). It returns ids and scores only.

Created only where 0008 built the trigram index (pg_trgm there); orders.search falls back to
substring matching where it is not.
"""

from django.db import migrations
from psycopg import sql

NAME = "doorstep_fold(c.first_name || ' ' || c.last_name)"


def forwards(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = 'customer_name_trgm'")
        if cursor.fetchone() is None:
            return
        cursor.execute("SELECT n.nspname, current_schema() FROM pg_extension e JOIN "
                       "pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'")
        trgm, here = cursor.fetchone()
        path = sql.SQL(", ").join([sql.Identifier(schema) for schema in dict.fromkeys([here, trgm])]
                                  + [sql.SQL("pg_temp")])
        statement = sql.SQL(
            "CREATE OR REPLACE FUNCTION doorstep_customer_names(typed text, lim integer) "
            "RETURNS TABLE (id bigint, score real) "
            "LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {path} AS $$ "
            "  SELECT c.id, word_similarity(typed, {name}) FROM orders_customer c "
            "   WHERE c.tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint "
            "    AND typed <% {name} "
            "   ORDER BY 2 DESC, 1 DESC LIMIT lim $$"
        ).format(path=path, name=sql.SQL(NAME))
        cursor.execute(statement.as_string(schema_editor.connection.connection))


def backwards(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DROP FUNCTION IF EXISTS doorstep_customer_names(text, integer)")


class Migration(migrations.Migration):

    dependencies = [
        ("orders", "0009_orderevent_kind_agent_action"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
