"""Settings for the test suite: always a real PostgreSQL and a real Redis.

The machine's own servers when DATABASE_URL / REDIS_URL name them or they answer on their
default local ports; else (or with `DOORSTEP_EMBEDDED=1`) the embedded ones under `var/`
(config.embedded), started for the test run and stopped after it, or already running under
`make demo`. Nothing is ever skipped for want of a server.
"""

import atexit
import os
import socket
import sys
import tempfile
from pathlib import Path

from config import embedded


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


os.environ["DOORSTEP_TESTING"] = "1"
os.environ.setdefault("LOG_FORMAT", "text")
os.environ.setdefault("DOORSTEP_VAR_DIR", tempfile.mkdtemp(prefix="doorstep-test-"))
if embedded.forced():
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)
if not embedded.forced():
    if not os.environ.get("DATABASE_URL") and _reachable("127.0.0.1", 5432):
        os.environ["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/doorstep"
    if not os.environ.get("REDIS_URL") and _reachable("127.0.0.1", 6379):
        os.environ["REDIS_URL"] = "redis://127.0.0.1:6379/15"
if not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")):
    # Both embedded, in the checkout's var/ (kept between runs, like the demo's): a machine
    # with only one of the two servers still tests against one consistent stack.
    os.environ.pop("DATABASE_URL", None)
    _stack = embedded.start_for_process(Path(__file__).resolve().parent.parent / "var",
                                        log=lambda text: sys.stderr.write(f"{text}\n"), redis_db=15)
    atexit.register(_stack.stop)

from config.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tasks run inline unless a test starts a real worker (see tests/test_celery_worker.py).
CELERY_TASK_ALWAYS_EAGER = True
CACHES["default"]["KEY_PREFIX"] = f"doorstep-test-{os.getpid()}"  # noqa: F405
ACCOUNT_RATE_LIMITS = False
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405 - whitenoise warns without it
