"""How often the lookup may be tried (settings TRACKING_LOOKUP_*), counted by
config.ratelimit: per client address (one client guessing many orders) and per store and
number (many clients guessing one order's e-mail or postcode). Every attempt counts, whatever
its answer, and both counters are taken every time."""

from __future__ import annotations

import math

from django.conf import settings
from django.utils import timezone

from config.ratelimit import client_address, window_count


def lookup_wait(request, tenant_id: int, number_key: str) -> int:
    """Take one attempt: 0 when allowed, else the whole minutes to wait (at least 1)."""
    window = settings.TRACKING_LOOKUP_WINDOW_SECONDS
    now = timezone.now()
    by_address, ends = window_count(f"lookup:address:{client_address(request)}", window, now=now)
    by_number, _ = window_count(f"lookup:number:{tenant_id}:{number_key}", window, now=now)
    if (by_address <= settings.TRACKING_LOOKUP_LIMIT_PER_ADDRESS
            and by_number <= settings.TRACKING_LOOKUP_LIMIT_PER_NUMBER):
        return 0
    return max(1, math.ceil(ends / 60))
