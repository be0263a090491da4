"""The agent console's name search: a folding function and, where PostgreSQL has the contrib
modules, a tenant-led trigram index.

    doorstep_fold(text)  lower-cased, accents removed: unaccent() when the `unaccent` module is
                         there, else translate() over the Latin accented letters. IMMUTABLE, so
                         an index can be built on it (unaccent() itself is only STABLE).
    customer_name_trgm   GIN (tenant_id, doorstep_fold(first_name || ' ' || last_name)
                         gin_trgm_ops), with `pg_trgm` and `btree_gin` (the tenant column in a
                         GIN index): partial and misspelt names found through the index.

Without pg_trgm (the embedded PostgreSQL of `make demo` ships no contrib modules) there is no
index: orders.search falls back to substring matching within the tenant (orders.search says
how it decides). Each extension is tried in a savepoint, so a missing one is not an error.
"""

from django.db import migrations

# translate() maps one character to one: ß and æ lose a letter (unaccent gives "ss", "ae").
ACCENTED = "ÀÁÂÃÄÅĀĂĄàáâãäåāăąÇĆČçćčĎďÈÉÊËĒĖĘĚèéêëēėęěÌÍÎÏĪĮìíîïīįŁłÑŃŇñńňÒÓÔÕÖØŌòóôõöøōŘřŚŠŞśšşßŤťÙÚÛÜŪŮùúûüūůÝŸýÿŹŻŽźżž"
PLAIN = "AAAAAAAAAaaaaaaaaaCCCcccDdEEEEEEEEeeeeeeeeIIIIIIiiiiiiLlNNNnnnOOOOOOOoooooooRrSSSssssTtUUUUUUuuuuuuYYyyZZZzzz"
assert len(ACCENTED) == len(PLAIN)

NAME = "(first_name || ' ' || last_name)"


def _try_extension(schema_editor, name: str) -> bool:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = %s", [name])
        if cursor.fetchone() is None:
            return False
        cursor.execute("SAVEPOINT doorstep_ext")
        try:
            cursor.execute(f'CREATE EXTENSION IF NOT EXISTS "{name}"')
        except Exception:  # no privilege: the fallback serves
            cursor.execute("ROLLBACK TO SAVEPOINT doorstep_ext")
            return False
        cursor.execute("RELEASE SAVEPOINT doorstep_ext")
        return True


def _extension_schema(cursor, name: str) -> str:
    cursor.execute("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n "
                   "ON n.oid = e.extnamespace WHERE e.extname = %s", [name])
    return cursor.fetchone()[0]


def forwards(apps, schema_editor):
    unaccent = _try_extension(schema_editor, "unaccent")
    trigram = _try_extension(schema_editor, "pg_trgm") and _try_extension(schema_editor,
                                                                            "btree_gin")
    with schema_editor.connection.cursor() as cursor:
        if unaccent:
            schema = _extension_schema(cursor, "unaccent")
            body = f"SELECT lower({schema}.unaccent('{schema}.unaccent'::regdictionary, $1))"
        else:
            body = f"SELECT lower(translate($1, '{ACCENTED}', '{PLAIN}'))"
        cursor.execute("CREATE OR REPLACE FUNCTION doorstep_fold(text) RETURNS text "
                       f"LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ {body} $$")
        if trigram:
            schema = _extension_schema(cursor, "pg_trgm")
            cursor.execute(
                "CREATE INDEX IF NOT EXISTS customer_name_trgm ON orders_customer USING gin "
                f"(tenant_id, doorstep_fold{NAME} {schema}.gin_trgm_ops)")


def backwards(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DROP INDEX IF EXISTS customer_name_trgm")
        cursor.execute("DROP FUNCTION IF EXISTS doorstep_fold(text)")


class Migration(migrations.Migration):

    dependencies = [
        ("orders", "0007_ordermilestone_kind"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
