"""The Celery app of bench/messaging.py: the project's own (`config.celery`, every task
autodiscovered, same queues, late acks, prefetch 1) plus the baseline's trivial task.

    celery -A bench._messaging_celery worker -Q messages -c 2

`bench_noop` does the least a task can do and still be counted without a result backend
(the project runs with none): one Redis INCR of the key it is given.
"""

from __future__ import annotations

from config.celery import app

_client = None


@app.task(name="bench.noop", queue="messages", ignore_result=True)
def bench_noop(counter_key: str) -> None:
    global _client
    if _client is None:
        import redis

        _client = redis.Redis.from_url(app.conf.broker_url)
    _client.incr(counter_key)


__all__ = ["app", "bench_noop"]
