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
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

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


def _redis_db_below(url: str, by: int) -> str:
    """`url` with its Redis database number lowered by `by`: the path of redis://host:port/N,
    the `db` of the embedded unix://socket?db=N, the `virtual_host` of Celery's
    redis+socket://socket?virtual_host=N."""
    parts = urlsplit(url)
    key = {"unix": "db", "redis+socket": "virtual_host"}.get(parts.scheme)
    query = dict(parse_qsl(parts.query))
    number = int((query.get(key) if key else parts.path.strip("/")) or 0) - by
    if number < 0:
        raise RuntimeError(f"{url}: no Redis database left for pytest-xdist worker gw{by}; "
                           f"give REDIS_URL a database number of at least {by}")
    if key:
        return f"{url.partition('?')[0]}?{urlencode({**query, key: number})}"
    return urlunsplit(parts._replace(path=f"/{number}"))


# Under pytest-xdist (`make test` runs two workers), each worker process apart from the other:
# the test databases are already (pytest-django names them test_<name>_gw0, _gw1), but both
# workers hand out the same ids (tenant 1 on each), so in one Redis database they would share
# rate limits and cached pages, and a test's real Celery worker would purge and take the other
# worker's tasks. Worker gwI uses Redis database N - I of REDIS_URL's N (15 and 14 by default)
# and its own folder in the var folder the run started with. The workers inherit the run's
# environment, and a worker's children inherit the worker's (its var folder already its own):
# done once.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _worker and Path(os.environ["DOORSTEP_VAR_DIR"]).name != _worker:
    _index = int(_worker.removeprefix("gw"))
    for _name in ("REDIS_URL", "CELERY_BROKER_URL"):
        if os.environ.get(_name):
            os.environ[_name] = _redis_db_below(os.environ[_name], _index)
    os.environ["DOORSTEP_VAR_DIR"] = str(Path(os.environ["DOORSTEP_VAR_DIR"]) / _worker)
    Path(os.environ["DOORSTEP_VAR_DIR"]).mkdir(parents=True, exist_ok=True)

from config.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tasks run inline unless a test starts a real worker (see tests/test_celery_worker.py).
CELERY_TASK_ALWAYS_EAGER = True
CACHES["default"]["KEY_PREFIX"] = f"doorstep-test-{os.getpid()}"  # noqa: F405
ACCOUNT_RATE_LIMITS = False
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405 - whitenoise warns without it
