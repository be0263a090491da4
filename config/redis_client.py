"""One Redis client per process, for what Django's cache API cannot say (hashes, SET NX with
an expiry on a key of our own). Django's cache builds a client per call, which costs more than
a HINCRBY itself on a page view; redis-py's pool reconnects after a fork."""

from __future__ import annotations

import redis
from django.conf import settings

_client: redis.Redis | None = None


def redis_client() -> redis.Redis:
    global _client
    if _client is None:
        _client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2,
                                       socket_connect_timeout=2)
    return _client


def redis_key(*parts: object) -> str:
    """A key under the deployment's prefix (CACHE_KEY_PREFIX): several Doorsteps (or test
    runs) can share one Redis."""
    prefix = settings.CACHES["default"].get("KEY_PREFIX") or "doorstep"
    return ":".join([prefix, *map(str, parts)])
