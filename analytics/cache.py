"""The figures of the Analytics area kept in Redis per store until its rollups change
(config.redis_client; keys under the deployment's prefix).

    an:g:<tenant>            the store's generation: a random token, deleted by each rollup run
    an:f:<tenant>:<digest>   one read's figures (period, filters, today) with the generation
                             they were read under

    hit:  one round trip (the generation, made if missing, and the entry); the entry's
          generation is the current one ─▶ its figures
    miss: the statement (analytics/figures.py) ─▶ stored with the generation read *before* it

A rollup run deletes the generation in its transaction and again after its commit: a reader
that stored figures read before the commit carries a generation nobody will read again, so a
figure older than the run is never served after it (the same scheme as the tracking page's
cache). Redis unreachable: the statement, as without a cache.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable

import redis
from django.db import transaction

from config.redis_client import redis_client, redis_key

log = logging.getLogger(__name__)

SECONDS = 3600  # at most; a rollup run (every ANALYTICS_ROLLUP_SECONDS) forgets them sooner


def _generation_key(tenant_id: int) -> str:
    return redis_key("an", "g", tenant_id)


def figures_cached(tenant_id: int, signature: str, read: Callable[[], str]) -> str:
    """The figures document (JSON text) for `signature` (what the read depends on), from the
    cache when the store's rollups have not changed since it was stored, else `read()`."""
    generation_key = _generation_key(tenant_id)
    key = redis_key("an", "f", tenant_id, hashlib.blake2b(signature.encode(),
                                                             digest_size=12).hexdigest())
    client = redis_client()
    try:
        pipe = client.pipeline(transaction=False)
        pipe.set(generation_key, secrets.token_hex(6), nx=True, ex=2 * SECONDS)
        pipe.get(generation_key)
        pipe.get(key)
        _, generation, stored = pipe.execute()
    except redis.RedisError as error:
        log.warning("analytics cache unreachable, reading the rollups: %s", error)
        return read()
    prefix = (generation or b"").decode() + "\n"
    if stored is not None and generation is not None:
        text = stored.decode()
        if text.startswith(prefix):
            return text[len(prefix):]
    document = read()
    if generation is not None:
        try:
            client.set(key, prefix + document, ex=SECONDS)
        except redis.RedisError as error:
            log.warning("analytics cache unreachable, figures not kept: %s", error)
    return document


def figures_forget(tenant_id: int) -> None:
    """The store's rollups change: no figure read before is served again. Now (a reader in
    the meantime reads the old rows and stores them under a new generation) and after the
    commit (which forgets what such a reader stored)."""

    def forget() -> None:
        try:
            redis_client().delete(_generation_key(tenant_id))
        except redis.RedisError as error:
            log.warning("analytics cache unreachable, figures not forgotten: %s", error)

    forget()
    transaction.on_commit(forget)
