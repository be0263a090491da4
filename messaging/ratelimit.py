"""Send-rate caps, per tenant and per sender, counted in the shared cache (Redis in
production, so every worker sees the same counts) by config.ratelimit's window counters.

Each cap is a budget per window (one second, or 1/rate seconds for rates below one). A
message over budget is not dropped: the caller reschedules it after the wait this returns,
which grows with the queue in front of it, so a burst spreads over the following seconds
instead of hammering the next one.
"""

from __future__ import annotations

import math
from datetime import datetime

from django.conf import settings

from config.ratelimit import window_count

# Sends per second. Twilio long codes take about 1 message per second, a Messaging Service
# more (it spreads over its numbers); the tenant's cap keeps one store from starving others.
DEFAULT_LIMITS: dict[str, float] = {"tenant": 50.0, "sms_sender": 1.0, "sms_service": 10.0}


def rate_limits() -> dict[str, float]:
    return {**DEFAULT_LIMITS, **getattr(settings, "MESSAGING_RATE_LIMITS", {})}


def rate_take(key: str, per_second: float, *, now: datetime) -> float:
    """Take one send from `key`'s budget at `now`: 0.0 when allowed, else seconds to wait."""
    return rate_take_many(key, per_second, 1, now=now)[0]


def rate_take_many(key: str, per_second: float, count: int, *, now: datetime) -> list[float]:
    """Take `count` sends from `key`'s budget at once (one INCRBY for a batch): per send, in
    order, 0.0 when allowed, else seconds to wait (each over-budget send one place further
    back in the queue, exactly as `count` single takes in a row would say)."""
    if per_second <= 0 or count <= 0:
        return [0.0] * max(0, count)
    window = max(1.0, 1.0 / per_second)
    budget = max(1, math.floor(per_second * window))
    used, until_next = window_count(f"msg:{key}", window, count, now=now)
    waits = []
    for place in range(used - count + 1, used + 1):
        if place <= budget:
            waits.append(0.0)
        else:
            waits.append(until_next + (place - budget - 1) // budget * window)
    return waits
