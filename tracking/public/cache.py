"""The tracking page's cache (Redis, through config.redis_client), per shipment and language,
and how it is forgotten. A cached page is served without one SQL statement.

    keys (all under the cache's KEY_PREFIX)
      tp:m:<token>            meta: tenant, shipment, order, the shopper's locale, the shop's
                              default and offered languages (to pick the language unread)
      tp:p:<token>:<lang>     the rendered page
      tp:v:<token>            the shipment's generation      deleted by tracking_page_forget
      tp:t:<tenant_id>        the tenant's generation        (shipments / the whole tenant)
      tp:r:<token>            its order's recommended product ids, filled off the request
      tp:rq                   a set of "<tenant>:<order>" whose pages want those ids

    hit:  MGET meta, shipment and tenant generations, the page in the language the meta picks,
          and the view counted (HINCRBY, tracking.pageviews) in the same round trip (the meta
          remembered by the process from an earlier view: one round trip in all; a token the
          process has not seen: GET meta + shipment generation first, two)
          stored generations equal the current ones, same language ─▶ the page
    miss: (the lookup above, which also read the order's picks and the generations of the
          tenants the process served lately) ─▶ the statement ─▶ (a tenant not among those:
          one trip for its generation, `tenant_version`) ─▶ render ─▶ one trip: page + meta
          stored, picks asked for, the view counted unless the lookup counted it
          (`page_store`). Each trip is a pipeline
          (`_Trip`).

A page (and its meta) is stored with the generations read *before* its statements ran. A
change forgets by deleting a generation key after its commit; the next reader creates a new
random one, which no stored page carries, so a page rendered from data older than the change
is never served again, even one whose rendering overlapped the change. A generation that is
evicted is recreated the same way: eviction can cost a render, never serve a stale page.

The one window left: a shipment never seen since its meta expired, of a tenant this process
has not served lately, learns its tenant from the statement itself, so the tenant's
generation is read just after it; a brand change that commits in that instant shows for at
most TRACKING_PAGE_CACHE_SECONDS.

Recommendations (recommendations.selectors, up to seven queries) never run on the request:
the page reads the order's picks from the cache and their products in its second statement;
when none are cached it adds the order to `tp:rq`, which the periodic `page_picks_fill_due`
empties (tracking/public/tasks.py): the picks are stored and the order's pages forgotten, so
a later view shows them.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import cast

from django.conf import settings
from django.db import transaction
from redis.exceptions import RedisError

from config import db
from config.redis_client import redis_client, redis_key
from orders.models import Order

from ..models import Shipment

logger = logging.getLogger(__name__)

# (tenant_id, shipment_id) → the page-view hash's key and field, or None: not counted.
ViewCounter = Callable[[int, int], "tuple[str, str] | None"]


class _Store:
    """The few Redis operations the page needs, on the process's one client
    (config.redis_client), keys under the deployment's prefix, values as bytes (see
    `_encode`/`_decode`). Not Django's cache API: it builds a Redis client per call, whose
    response callbacks cost more than the cached page's whole MGET (measured on a loaded
    machine: 815 µs a get_many, 306 µs the same MGET here)."""

    def get_many(self, keys: list[str], count: tuple[str, str] | None = None
                 ) -> dict[str, bytes]:
        """MGET; with `count` (a hash's full key and a field), HINCRBY it in the same trip."""
        full_keys = [redis_key(key) for key in keys]
        if count is None:
            values = cast(list[bytes | None], redis_client().mget(full_keys))
        else:
            pipe = redis_client().pipeline(transaction=False)
            pipe.mget(full_keys)
            pipe.hincrby(*count, 1)
            values = pipe.execute()[0]
        return {key: value for key, value in zip(keys, values, strict=True) if value is not None}

    def get(self, key: str) -> bytes | None:
        return cast(bytes | None, redis_client().get(redis_key(key)))

    def add(self, key: str, value: bytes, timeout: int | None) -> bool:
        return bool(redis_client().set(redis_key(key), value, nx=True, ex=timeout))

    def set_many(self, values: dict[str, bytes], timeout: int) -> None:
        pipe = redis_client().pipeline(transaction=False)
        for key, value in values.items():
            pipe.set(redis_key(key), value, ex=timeout)
        pipe.execute()

    def delete_many(self, keys: list[str]) -> None:
        if keys:
            redis_client().delete(*[redis_key(key) for key in keys])

    def trip(self) -> _Trip:
        return _Trip()


class _Trip:
    """Commands sent in one round trip (a pipeline without MULTI: each command runs in order,
    none waits for another client), answered by name: the uncached page's few reads and
    writes cost one trip each side of its statement instead of one per command."""

    def __init__(self) -> None:
        self._pipe = redis_client().pipeline(transaction=False)
        self._names: list[str | None] = []

    def get(self, name: str, key: str) -> None:
        self._pipe.get(redis_key(key))
        self._names.append(name)

    def version(self, name: str, key: str, timeout: int | None) -> None:
        """The generation under `key`, made (a new random one) if there is none: SET NX
        then GET, so whoever made it first wins (see `_version`)."""
        self._pipe.set(redis_key(key), secrets.token_hex(6).encode(), nx=True, ex=timeout)
        self._names.append(None)
        self.get(name, key)

    def set(self, key: str, value: bytes, timeout: int) -> None:
        self._pipe.set(redis_key(key), value, ex=timeout)
        self._names.append(None)

    def add_to_set(self, key: str, member: str) -> None:
        self._pipe.sadd(redis_key(key), member)
        self._names.append(None)

    def count(self, full_key: str, field: str) -> None:
        """HINCRBY of a key outside this cache (its own prefix already applied)."""
        self._pipe.hincrby(full_key, field, 1)
        self._names.append(None)

    def run(self) -> dict[str, bytes | None]:
        replies = self._pipe.execute()
        return {name: reply for name, reply in zip(self._names, replies, strict=True)
                if name is not None}


store = _Store()


VERSION_SECONDS_FACTOR = 2  # a shipment's generation outlives the pages that carry it


@dataclass(frozen=True)
class Meta:
    tenant_id: int
    shipment_id: int
    order_id: int | None
    shopper_locale: str
    shop_default: str
    offered: tuple[str, ...]
    versions: tuple[str, str]


@dataclass(frozen=True)
class Page:
    versions: tuple[str, str]
    lang: str
    body: bytes


def _encode_meta(meta: Meta) -> bytes:
    # Field by field: dataclasses.asdict deep-copies each value, most of this function's cost.
    return json.dumps({"tenant_id": meta.tenant_id, "shipment_id": meta.shipment_id,
                       "order_id": meta.order_id, "shopper_locale": meta.shopper_locale,
                       "shop_default": meta.shop_default, "offered": meta.offered,
                       "versions": meta.versions}).encode()


def _decode_meta(raw: bytes | None) -> Meta | None:
    try:
        found = json.loads(raw) if raw else None
        if not isinstance(found, dict):
            return None
        return Meta(**{**found, "offered": tuple(found["offered"]),
                       "versions": tuple(found["versions"])})
    except (ValueError, TypeError, KeyError):
        return None  # another version's entry: a miss


def _encode_page(page: Page) -> bytes:
    """Three header lines (generations, language), then the HTML as it is sent."""
    return "\n".join([*page.versions, page.lang, ""]).encode() + page.body


def _decode_page(raw: bytes | None) -> Page | None:
    parts = raw.split(b"\n", 3) if raw else []
    if len(parts) != 4:
        return None
    tenant_version, shipment_version, lang, body = parts
    return Page((tenant_version.decode(), shipment_version.decode()), lang.decode(), body)


@dataclass
class Lookup:
    """What the cache knew for a token: the page when it is current, else the generations
    read before the page's statements (the tenant's when the meta was there, else those of
    the tenants this process served lately) and the order's picks (None: none yet)."""

    page: Page | None
    meta: Meta | None
    shipment_version: str
    tenant_version: str | None
    picks: list[int] | None
    guessed: dict[int, str] = field(default_factory=dict)
    counted: bool = False  # the view was counted in the lookup's round trip

    def tenant_version_of(self, tenant_id: int) -> str | None:
        return self.tenant_version or self.guessed.get(tenant_id)


def _meta_key(token: str) -> str:
    return f"tp:m:{token}"


def _page_key(token: str, lang: str) -> str:
    return f"tp:p:{token}:{lang}"


def _shipment_key(token: str) -> str:
    return f"tp:v:{token}"


def _tenant_key(tenant_id: int) -> str:
    return f"tp:t:{tenant_id}"


def _picks_key(token: str) -> str:
    return f"tp:r:{token}"


def _page_seconds() -> int:
    return settings.TRACKING_PAGE_CACHE_SECONDS


def _version(key: str, found: bytes | None, timeout: int | None) -> str:
    """The generation under `key`: `found`, else a new random one (unless another process
    made one first, which then wins)."""
    if found is not None:
        return found.decode()
    fresh = secrets.token_hex(6)
    if store.add(key, fresh.encode(), timeout):
        return fresh
    again = store.get(key)
    return again.decode() if again is not None else fresh


def page_lookup(token: str, choose_language, count: ViewCounter | None = None) -> Lookup:
    """The cached page for `token` in the language `choose_language(meta)` picks, if current.
    One cache round trip for a token this process has seen (its meta remembered), two for
    one it has not. `count(tenant_id, shipment_id)` names the page-view counter to increase
    (tracking.pageviews; None: not counted): the trip that reads the page counts the view, so
    a cached page costs one round trip in all (`Lookup.counted`: the caller counts no more)."""
    remembered = _remembered.get(token)
    if remembered is None:
        trip = store.trip()
        trip.get("meta", _meta_key(token))
        trip.version("shipment", _shipment_key(token), _page_seconds() * VERSION_SECONDS_FACTOR)
        trip.get("picks", _picks_key(token))
        # The token's tenant is not known before the statement; the tenants this process
        # served last usually include it, so their generations come in this trip too (read
        # before the statement, as a page's generations must be) and save one after it.
        for tenant_id in _tenants_seen:
            trip.version(f"tenant:{tenant_id}", _tenant_key(tenant_id), None)
        found = trip.run()
        shipment_version = _decoded_version(found["shipment"])
        meta = _decode_meta(found["meta"])
        if meta is None:
            guessed = {tenant_id: _decoded_version(found[f"tenant:{tenant_id}"])
                       for tenant_id in _tenants_seen}
            return Lookup(None, None, shipment_version, None, _decode_picks(found["picks"]),
                          guessed)
        _remember(token, meta)
        return _lookup(token, meta, choose_language, shipment_version, count)
    return _lookup(token, remembered, choose_language, None, count)


def _lookup(token: str, guess: Meta, choose_language, shipment_version: str | None,
            count: ViewCounter | None) -> Lookup:
    view = count(guess.tenant_id, guess.shipment_id) if count is not None else None
    found = _lookup_read(token, guess, choose_language, shipment_version, view)
    found.counted = view is not None
    return found


def _lookup_read(token: str, guess: Meta, choose_language, shipment_version: str | None,
                 view: tuple[str, str] | None) -> Lookup:
    """One MGET of the page in the language `guess` (a meta) picks, the generations and the
    order's picks; the meta is read again in it when `shipment_version` is not known yet (a
    remembered meta may be stale: the page counts only if the current one picks the same
    language and carries the current generations)."""
    lang = choose_language(guess)
    keys = {"page": _page_key(token, lang), "tenant": _tenant_key(guess.tenant_id),
            "picks": _picks_key(token)}
    if shipment_version is None:
        keys.update(meta=_meta_key(token), shipment=_shipment_key(token))
    values = store.get_many(list(keys.values()), count=view)
    got = {name: values.get(key) for name, key in keys.items()}
    meta = guess
    if shipment_version is None:
        shipment_version = _version(keys["shipment"], got["shipment"],
                                    _page_seconds() * VERSION_SECONDS_FACTOR)
        current_meta = _decode_meta(got["meta"])
        if current_meta is None:
            _remembered.pop(token, None)
            return Lookup(None, None, shipment_version, None, None)
        meta = current_meta
        _remember(token, meta)
    tenant_version = _version(keys["tenant"], got["tenant"], None)
    current = (tenant_version, shipment_version)
    picks = _decode_picks(got["picks"])
    if meta.versions != current:
        return Lookup(None, None, shipment_version, tenant_version, picks)
    page = _decode_page(got["page"])
    if page is not None and page.versions == current and choose_language(meta) == lang:
        return Lookup(page, meta, shipment_version, tenant_version, picks)
    return Lookup(None, meta, shipment_version, tenant_version, picks)


# Metas this process has seen, newest last: a token's tenant and order never change, and a
# stale locale or language list is caught by the meta read in the same round trip.
_remembered: OrderedDict[str, Meta] = OrderedDict()
REMEMBERED_MAX = 20_000


def _remember(token: str, meta: Meta) -> None:
    _remembered[token] = meta
    _remembered.move_to_end(token)
    if len(_remembered) > REMEMBERED_MAX:
        _remembered.popitem(last=False)
    _tenant_seen(meta.tenant_id)


# The tenants whose pages this process served last, newest last (see `page_lookup`).
_tenants_seen: OrderedDict[int, None] = OrderedDict()
TENANTS_SEEN_MAX = 4


def _tenant_seen(tenant_id: int) -> None:
    _tenants_seen[tenant_id] = None
    _tenants_seen.move_to_end(tenant_id)
    if len(_tenants_seen) > TENANTS_SEEN_MAX:
        _tenants_seen.popitem(last=False)


def _decoded_version(found: bytes | None) -> str:
    """A generation read by `_Trip.version`; none (forgotten between its SET and its GET)
    reads as a new one that no stored page carries."""
    return found.decode() if found is not None else secrets.token_hex(6)


def tenant_version(tenant_id: int) -> str:
    """The tenant's generation, for a page whose lookup did not read it (a tenant this process
    had not served lately): one round trip, just after the statement."""
    trip = store.trip()
    trip.version("tenant", _tenant_key(tenant_id), None)
    return _decoded_version(trip.run()["tenant"])


def page_store(token: str, meta: Meta, page: Page, *, picks_wanted: bool = False,
               view: tuple[str, str] | None = None) -> None:
    """Store the page and its meta; in the same round trip, ask for the order's picks
    (`page_picks_fill_due` computes them off the request) and count the view (`view`: the
    page-view hash's key and field, tracking.pageviews)."""
    _tenant_seen(meta.tenant_id)
    trip = store.trip()
    trip.set(_meta_key(token), _encode_meta(meta), _page_seconds())
    trip.set(_page_key(token, page.lang), _encode_page(page), _page_seconds())
    if picks_wanted and meta.order_id is not None:
        trip.add_to_set(PICKS_WANTED_KEY, f"{meta.tenant_id}:{meta.order_id}")
    if view is not None:
        trip.count(*view)
    trip.run()


def picks_get(token: str) -> list[int] | None:
    """The recommended product ids of the token's order (None: not computed yet)."""
    return _decode_picks(store.get(_picks_key(token)))


def _decode_picks(raw: bytes | None) -> list[int] | None:
    try:
        found = json.loads(raw) if raw else None
    except ValueError:
        return None
    return [int(pk) for pk in found] if isinstance(found, list) else None


def picks_store(tenant_id: int, picks: dict[int, list[int]]) -> None:
    """Keep each order's recommended product ids ({order_id: [product_id, …]}) under the
    tokens of its parcels, where a page's lookup reads them before it knows the order."""
    tokens = _tokens_by_order(tenant_id, list(picks))
    store.set_many({_picks_key(token): json.dumps(picks[order_id]).encode()
                    for token, order_id in tokens}, settings.TRACKING_PAGE_PICKS_SECONDS)


# Orders whose pages want picks, as "<tenant>:<order>" members of one set: a page view adds
# its order (idempotent, in the round trip that stores the page), the periodic
# `page_picks_fill_due` takes them out in batches. Cheaper on the page than a task per order
# (a Celery publish measured 0.45-0.97 ms, most of an uncached page's budget).
PICKS_WANTED_KEY = "tp:rq"
PICKS_BATCH = 500


def picks_want(tenant_id: int, order_id: int) -> None:
    """Ask for an order's picks outside a page view (the dashboard's preview)."""
    trip = store.trip()
    trip.add_to_set(PICKS_WANTED_KEY, f"{tenant_id}:{order_id}")
    trip.run()


def picks_wanted_take(count: int = PICKS_BATCH) -> dict[int, list[int]]:
    """Up to `count` orders asked for, taken out of the set: {tenant_id: [order_id, …]}."""
    taken = cast(list[bytes], redis_client().spop(redis_key(PICKS_WANTED_KEY), count) or [])
    wanted: dict[int, list[int]] = {}
    for member in taken:
        tenant_id, _sep, order_id = member.decode().partition(":")
        if tenant_id.isdigit() and order_id.isdigit():
            wanted.setdefault(int(tenant_id), []).append(int(order_id))
    return wanted


def tracking_page_forget(tenant_id: int, shipment_ids: Iterable[int] | None = None, *,
                         order_ids: Iterable[int] | None = None,
                         customer_ids: Iterable[int] | None = None) -> None:
    """Forget the cached pages of these shipments (and of their orders' other parcels, which
    list their status), of these orders' parcels, of these shoppers' parcels; with none of
    them, every page of the tenant. The pages are found now, in the caller's scope (row-level
    security: a callback run after the scope has ended, as a seeder's or a new store's commit
    does, would find none), and forgotten after the current transaction commits (at once
    outside one): a page rendered before the commit must not outlive it."""
    if shipment_ids is None and order_ids is None and customer_ids is None:
        keys = [_tenant_key(tenant_id)]
    else:
        keys = [_shipment_key(token) for token in _tokens(
            tenant_id, sorted({int(pk) for pk in shipment_ids or ()}),
            sorted({int(pk) for pk in order_ids or ()}),
            sorted({int(pk) for pk in customer_ids or ()}))]
    if keys:
        transaction.on_commit(lambda: _forget(tenant_id, keys))


def _forget(tenant_id: int, keys: list[str]) -> None:
    """With the cache down, the change that called it stands (it has committed): logged, and a
    page cached before the outage shows for at most TRACKING_PAGE_CACHE_SECONDS if the cache
    comes back with its data."""
    try:
        store.delete_many(keys)
    except RedisError as exc:
        logger.warning("tracking page cache unreachable: pages of tenant %s not forgotten (%s)",
                       tenant_id, exc)


def _tokens_by_order(tenant_id: int, order_ids: list[int]) -> list[tuple[str, int]]:
    """(public token, order id) of these orders' parcels: one statement."""
    if not order_ids:
        return []
    rows = db.execute(
        f"SELECT public_token, order_id FROM {Shipment._meta.db_table} "  # noqa: S608
        "WHERE tenant_id = %s AND order_id = ANY(%s)", [tenant_id, order_ids])
    return [(token, order_id) for token, order_id in rows]


def _tokens(tenant_id: int, shipment_ids: list[int], order_ids: list[int],
            customer_ids: list[int]) -> list[str]:
    """The public tokens of these shipments and of every parcel of their orders, of these
    orders' parcels and of these shoppers' orders' parcels: one statement."""
    if not (shipment_ids or order_ids or customer_ids):
        return []
    shipments, orders = Shipment._meta.db_table, Order._meta.db_table
    rows = db.execute(
        f"""SELECT public_token FROM {shipments}
             WHERE tenant_id = %s
               AND (id = ANY(%s) OR order_id = ANY(%s)
                    OR order_id IN (SELECT order_id FROM {shipments}
                                     WHERE tenant_id = %s AND id = ANY(%s)
                                       AND order_id IS NOT NULL)
                    OR order_id IN (SELECT id FROM {orders}
                                     WHERE tenant_id = %s AND customer_id = ANY(%s)))""",  # noqa: S608
        [tenant_id, shipment_ids, order_ids, tenant_id, shipment_ids, tenant_id, customer_ids])
    return [token for (token,) in rows]
