"""Per-key rate limit: a fixed window counted atomically in the cache (Redis in production,
process memory in embedded mode). Over the limit: 429 with Retry-After."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

from .authentication import ApiPrincipal


class ApiKeyRateThrottle(BaseThrottle):
    def allow_request(self, request, view) -> bool:
        principal = request.user
        if not isinstance(principal, ApiPrincipal):
            return True  # unauthenticated requests are refused before they cost anything
        window = settings.API_RATE_WINDOW_SECONDS
        now = time.time()
        window_start = int(now // window) * window
        self._wait = window_start + window - now
        key = f"ratelimit:apikey:{principal.key.pk}:{window_start}"
        # add() is a no-op when the key exists, so concurrent first requests count once each.
        cache.add(key, 0, timeout=window + 5)
        try:
            count = cache.incr(key)
        except ValueError:  # evicted between add and incr
            cache.set(key, 1, timeout=window + 5)
            count = 1
        return count <= settings.API_RATE_LIMIT

    def wait(self) -> float:
        return max(self._wait, 1.0)
