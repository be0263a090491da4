from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config import embedded
from config.env import env_bool, env_int, env_str

from .core import VAR_DIR

# With no DATABASE_URL (and outside production, which requires it) the database is the
# embedded PostgreSQL under var/ (config.embedded): `make demo`, `make test` and manage.py
# start it, or use the one already running.
DATABASE_URL = env_str("DATABASE_URL", "")
EMBEDDED_DATABASE = not DATABASE_URL
if EMBEDDED_DATABASE:
    DATABASE_URL = embedded.database_url(VAR_DIR)
if urlsplit(DATABASE_URL).scheme not in ("postgres", "postgresql", "pgsql", "postgis"):
    raise ImproperlyConfigured(f"DATABASE_URL must be a PostgreSQL URL (postgres://…), got {DATABASE_URL!r}")

DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60), conn_health_checks=True
    )
}

# config.db's hot-path reads as prepared statements (PostgreSQL): parsed and planned once per
# connection. Off (0) behind a transaction-pooling PgBouncer older than 1.21.
DATABASE_PREPARED_READS = env_bool("DATABASE_PREPARED_READS", True)

# The role the application runs as (SET ROLE on each new connection): no superuser, no
# BYPASSRLS, not the tables' owner, so PostgreSQL's row-level security binds it
# (tenants/rls.py). `manage.py migrate`, run as the owner, creates it and grants it the
# tables. Empty: no SET ROLE, for a DATABASE_URL that logs in as such a role itself.
DATABASE_APP_ROLE = env_str("DATABASE_APP_ROLE", "doorstep_app")
