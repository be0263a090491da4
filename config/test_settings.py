"""Settings for the test suite.

Uses the real PostgreSQL and Redis when they are reachable (from DATABASE_URL / REDIS_URL, or
on their default local ports), else SQLite and in-memory stand-ins; tests that need the real
services are marked and say so when skipped. `DOORSTEP_TEST_EMBEDDED=1` forces the embedded
mode even when the services are up.
"""

import os
import socket
import tempfile


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


os.environ["DOORSTEP_TESTING"] = "1"
os.environ.setdefault("LOG_FORMAT", "text")
os.environ.setdefault("DOORSTEP_VAR_DIR", tempfile.mkdtemp(prefix="doorstep-test-"))
if os.environ.get("DOORSTEP_TEST_EMBEDDED") == "1":
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)
else:
    if not os.environ.get("DATABASE_URL") and _reachable("127.0.0.1", 5432):
        os.environ["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/doorstep"
    if not os.environ.get("REDIS_URL") and _reachable("127.0.0.1", 6379):
        os.environ["REDIS_URL"] = "redis://127.0.0.1:6379/15"

from config.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tasks run inline unless a test starts a real worker (see tests/test_celery_worker.py).
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = os.environ.get("REDIS_URL") or "memory://"
CACHES["default"]["KEY_PREFIX"] = f"doorstep-test-{os.getpid()}"  # noqa: F405
ACCOUNT_RATE_LIMITS = False
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405 - whitenoise warns without it
