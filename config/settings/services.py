from config import embedded
from config.env import env_bool, env_int, env_str

from .core import PRODUCTION, VAR_DIR

# With no REDIS_URL (and outside production, which requires it): the embedded Redis under
# var/ (config.embedded), started beside the embedded PostgreSQL.
REDIS_URL = env_str("REDIS_URL", "") or embedded.redis_url(VAR_DIR)

# --- Cache (rate limits, short-lived state).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "doorstep"),
    }
}

# The shopper tracking page (tracking/public/cache.py): rendered pages are kept this long at
# most (every change that shows on a page forgets it sooner); an order's recommended products
# are computed off the request path and kept this long.
TRACKING_PAGE_CACHE_SECONDS = env_int("TRACKING_PAGE_CACHE_SECONDS", 600)
TRACKING_PAGE_PICKS_SECONDS = env_int("TRACKING_PAGE_PICKS_SECONDS", 6 * 3600)

# --- Celery: Redis, embedded or not (a unix socket is spelled redis+socket:// for kombu).
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "") or embedded.broker_url(REDIS_URL)
# Longer than any task may run; future work is stored as rows, never as countdowns.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Celery's Django fixup closes every database connection before and after each task unless
# this is set (then: after every N tasks). A new PostgreSQL connection per task cost 4-5 ms
# to open, and its fresh backend read every table's catalog entries again: a dispatch run's
# first batch took half as long again as the next. Tasks keep their connection as requests
# do instead: DATABASE_CONN_MAX_AGE and the health check (config.celery.db_connections_tidy).
CELERY_DB_REUSE_MAX = 2**31

# --- E-mail for accounts (verification, password reset, invitations). Shopper messages
# go through messaging providers instead.
EMAIL_HOST = env_str("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    # Dev outbox: every e-mail is printed where `make demo` runs and kept under var/outbox.
    EMAIL_BACKEND = "config.mail.DevOutboxEmailBackend"
    DEV_OUTBOX_DIR = VAR_DIR / "outbox" / "mail"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Doorstep <no-reply@doorstep.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Providers (used by messaging): API base URLs are overridable for EU regions and tests.
SENDGRID_API_KEY = env_str("SENDGRID_API_KEY", "")
SENDGRID_API_URL = env_str("SENDGRID_API_URL", "https://api.sendgrid.com")
TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN", "")
TWILIO_MESSAGING_SERVICE_SID = env_str("TWILIO_MESSAGING_SERVICE_SID", "")
TWILIO_API_URL = env_str("TWILIO_API_URL", "https://api.twilio.com")
# Prepaid return labels (returns/labels.py): EasyPost's API, with the version path.
EASYPOST_API_URL = env_str("EASYPOST_API_URL", "https://api.easypost.com/v2")
# Seconds to wait for EasyPost's answer when buying a label; past it the attempt is retried.
EASYPOST_TIMEOUT = 20

# Seconds to wait for a provider's answer; past it the outcome is uncertain (never resent).
MESSAGING_PROVIDER_TIMEOUT = float(env_int("MESSAGING_PROVIDER_TIMEOUT", 10))
# No message is planned more than this many hours after its rule's time: an imported order
# history, a carrier's replayed backlog or the demo's seeded parcels are no news to a shopper.
MESSAGING_STALE_AFTER_HOURS = env_int("MESSAGING_STALE_AFTER_HOURS", 24)
# The ingest sweeps (config/celery.py, every INGEST_SWEEP_SECONDS): order milestones not yet
# announced are announced, and a webhook or API body still `queued` this long (its drain was
# never queued: a broker outage, a worker killed holding the drain flag) is drained.
INGEST_SWEEP_AFTER_SECONDS = env_int("INGEST_SWEEP_AFTER_SECONDS", 120)
# The messages sweep (config/celery.py, every MESSAGING_SWEEP_SECONDS): a message still
# `sending` this long after its provider call began was interrupted (a worker killed between
# the provider's answer and our record) and becomes `uncertain`, never resent; one still
# `queued` this long lost its send task (a broker outage) and is queued again. Both must stay
# far longer than a send task may take (a batch of provider calls, each up to the timeout).
MESSAGING_SENDING_STUCK_SECONDS = env_int("MESSAGING_SENDING_STUCK_SECONDS", 600)
MESSAGING_QUEUED_STUCK_SECONDS = env_int("MESSAGING_QUEUED_STUCK_SECONDS", 300)
# Sends per second: per tenant, per SMS from-number, per Twilio Messaging Service.
MESSAGING_RATE_LIMITS = {
    "tenant": float(env_int("MESSAGING_RATE_TENANT", 50)),
    "sms_sender": float(env_int("MESSAGING_RATE_SMS_SENDER", 1)),
    "sms_service": float(env_int("MESSAGING_RATE_SMS_SERVICE", 10)),
}

HEALTHZ_BROKER_TIMEOUT = 2 if PRODUCTION else 1
