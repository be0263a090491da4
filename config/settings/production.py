"""Production mode refuses to start with a missing secret, naming every missing value."""

from django.core.exceptions import ImproperlyConfigured

from config.env import is_set


def missing_production_settings() -> list[str]:
    required = {
        "SECRET_KEY": "the Django secret key",
        "DATABASE_URL": "the PostgreSQL database URL",
        "REDIS_URL": "the Redis URL (broker, cache, rate limits)",
        "DOORSTEP_ENCRYPTION_KEYS": "the Fernet key(s) that encrypt tenant credentials",
    }
    return [f"{name} ({what})" for name, what in required.items() if not is_set(name)]


def check_production() -> None:
    from . import core

    if not core.PRODUCTION:
        return
    missing = missing_production_settings()
    if missing:
        raise ImproperlyConfigured(
            "DOORSTEP_ENV=production refuses to start; set these environment variables: "
            + "; ".join(missing)
        )
