"""Fixed-window counters in the shared cache (Redis: every worker and web process sees the
same counts), the one rate-limit mechanism: messaging's send caps (messaging/ratelimit.py),
the API key limit (tenants/api/throttling.py) and the shopper's tracking lookup each say
what a window and a budget mean for them, and count here.

`client_address` names who is asking, behind the proxies the operator says are in front.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime
from ipaddress import ip_address

from django.conf import settings
from django.core.cache import cache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


def window_count(key: str, window: float, count: int = 1, *, now: datetime) -> tuple[int, float]:
    """Count `count` more for `key` in the window of `window` seconds holding `now` (one
    atomic INCRBY): what the window has counted so far with these, and the seconds until
    it ends."""
    ts = now.timestamp()
    slot = math.floor(ts / window)
    counter = f"rate:{key}:{slot}"
    timeout = int(window) + 60
    try:
        cache.add(counter, 0, timeout=timeout)  # a no-op when it exists: concurrent firsts count once
        try:
            used = cache.incr(counter, count)
        except ValueError:  # evicted between add and incr: count from here
            cache.add(counter, count, timeout=timeout)
            used = count
    except RedisError:
        # Redis is down: count nothing and let the request through (limits fail open, logged;
        # a limit must not turn an outage of the cache into 500s on every API call).
        logger.warning("rate limit not counted: the cache is unreachable", extra={"key": key})
        used = 0
    return used, (slot + 1) * window - ts


def budget_spent(key: str, limit: int, window: float) -> float | None:
    """Count one use of `key`'s budget of `limit` per `window` seconds: None while it lasts,
    else the seconds until the next window (for Retry-After). A limit of 0 is no limit."""
    from django.utils import timezone

    if limit <= 0:
        return None
    used, left = window_count(key, window, now=timezone.now())
    return max(1.0, left) if used > limit else None


def window_peek(key: str, window: float, *, now: datetime) -> int:
    """What `window_count` has counted for `key` in the window holding `now`, counting nothing."""
    slot = math.floor(now.timestamp() / window)
    try:
        return int(cache.get(f"rate:{key}:{slot}") or 0)
    except RedisError:
        return 0


def client_address(request) -> str:
    """The client's IP address. Behind TRUSTED_PROXY_HOPS proxies (each appends the address
    it received from to X-Forwarded-For), the one the outermost trusted proxy saw; entries
    further left are the client's own claims and are not believed."""
    hops = settings.TRUSTED_PROXY_HOPS
    if hops > 0:
        forwarded = [part.strip() for part in
                     request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= hops:
            candidate = forwarded[-hops]
            try:
                return str(ip_address(candidate))
            except ValueError:
                pass
    return request.META.get("REMOTE_ADDR", "") or "unknown"
