import dj_database_url

from config.env import env_bool, env_int, env_str

from .core import VAR_DIR

DATABASE_URL = env_str("DATABASE_URL", "")
EMBEDDED_DATABASE = not DATABASE_URL

if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60), conn_health_checks=True
        )
    }
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(VAR_DIR / "doorstep.sqlite3")),
            # The demo runs a web server and a worker against one file: wait for locks
            # rather than failing with "database is locked".
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }

# config.db's hot-path reads as prepared statements (PostgreSQL): parsed and planned once per
# connection. Off (0) behind a transaction-pooling PgBouncer older than 1.21.
DATABASE_PREPARED_READS = env_bool("DATABASE_PREPARED_READS", True)
