"""Per-key rate limit: a fixed window counted atomically in the shared cache
(config.ratelimit). Over the limit: 429 with Retry-After."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from rest_framework.throttling import BaseThrottle

from config.ratelimit import window_count

from .authentication import ApiPrincipal


class ApiKeyRateThrottle(BaseThrottle):
    def allow_request(self, request, view) -> bool:
        principal = request.user
        if not isinstance(principal, ApiPrincipal):
            return True  # unauthenticated requests are refused before they cost anything
        count, self._wait = window_count(f"apikey:{principal.key.pk}",
                                         settings.API_RATE_WINDOW_SECONDS, now=timezone.now())
        return count <= settings.API_RATE_LIMIT

    def wait(self) -> float:
        return max(self._wait, 1.0)
