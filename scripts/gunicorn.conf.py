"""Gunicorn settings for the web process in production (see Dockerfile, docker-compose.yml).

Every value can be tuned from the environment; access lines are JSON, like the app's own
logs, and carry the request id the app echoes in `X-Request-ID`.
"""

import json
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Sync workers: requests are short (webhooks store and answer, pages are server-rendered);
# about two per core is the usual starting point.
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so slow memory growth cannot build up.
max_requests = 2000
max_requests_jitter = 200
# Worker heartbeat files in memory: a slow container disk must not look like a hung worker.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 - gunicorn's advice

accesslog = "-"
access_log_format = json.dumps({
    "logger": "gunicorn.access",
    "time": "%(t)s",
    "remote": "%(h)s",
    "method": "%(m)s",
    "path": "%(U)s",
    "status": "%(s)s",
    "bytes": "%(b)s",
    "ms": "%(M)s",
    "request_id": "%({x-request-id}o)s",
})
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
