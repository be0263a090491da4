"""The agent console's search: one box that finds an order by whatever the shopper on the line
gives the agent.

    text ─▶ search_query_parse ─▶ SearchQuery (numbers, token, e-mail, E.164 phones, name)
             ├─ here: order number / external id, customer e-mail, phone, name
             ├─ order_search_hits signal: tracking numbers (tracking), return numbers (returns)
             └─ merged by order, best rank first ─▶ orders with customers ─▶ order_flags

Every source is one bounded query on a tenant-led index, so a search costs the same in a
store of ten orders and one of a million. Exact matches rank 1.0; names rank by likeness.

Names are matched folded (lower case, no accents: the `doorstep_fold` SQL function,
orders/migrations/0008). Where PostgreSQL has pg_trgm, a trigram index finds partial and
misspelt names (`<%`, word similarity). Without it (the embedded PostgreSQL of `make demo`),
names whose folded text contains the first letters of a typed word are read (at most
FALLBACK_CANDIDATES) and ranked here by likeness: a typo past the third letter is still found.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import cache
from typing import cast

from django.db import connection, transaction
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL

from tenants.models import Tenant

from .models import Customer, Order
from .signals import OrderFlag, SearchHit, SearchQuery, order_flags, order_search_hits

MAX_QUERY = 200  # longer is not something a person types into a search box
RESULTS = 20
ORDERS_PER_CUSTOMER_MATCH = 50  # a customer's newest orders, when the match is the customer
NAME_CANDIDATES = 50
NAME_LIKENESS = 0.45  # pg_trgm word similarity a name needs to be found
FALLBACK_CANDIDATES = 500
MAX_NAME_WORDS = 4  # of a typed name, the fallback matches this many words
FALLBACK_LIKENESS = 0.7  # a word this alike (difflib ratio) counts as the typed word

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_PHONE = re.compile(r"^\+?[\d\s().\-/]{6,30}$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
# National numbers ("0151 …") name no country: these calling codes are tried, each an index
# lookup. Doorstep's stores sell in Europe and North America; add codes as stores arrive.
CALLING_CODES = ("49", "44", "33", "34", "31", "32", "39", "43", "41", "45", "46", "47", "48",
                 "351", "353", "358", "420", "61", "1")
_NAME_FOLD = "doorstep_fold(first_name || ' ' || last_name)"


def fold(text: str) -> str:
    """Lower case without accents, as doorstep_fold does in SQL (ß → ss as unaccent)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def phone_candidates(text: str) -> tuple[str, ...]:
    """The E.164 numbers `text` may be: "+49 (0)151 1234-5678", "0049 151…", "(415) 555-0100"
    and "0151 12345678" (one per calling code) all name stored numbers."""
    if not _PHONE.match(text) or sum(ch.isdigit() for ch in text) < 6:
        return ()
    digits = re.sub(r"\D", "", text.replace("(0)", ""))
    if text.startswith("+"):
        found = [f"+{digits}"]
    elif digits.startswith("00"):
        found = [f"+{digits[2:]}"]
    elif digits.startswith("0"):
        found = [f"+{code}{digits[1:]}" for code in CALLING_CODES]
    else:
        found = [f"+{digits}"] + ([f"+1{digits}"] if len(digits) == 10 else [])
    return tuple(dict.fromkeys(p for p in found if _E164.match(p)))


def search_query_parse(text: str) -> SearchQuery:
    """Read `text` every way it could name an order. The caller has refused texts longer
    than MAX_QUERY; control characters become spaces."""
    text = " ".join("".join(" " if unicodedata.category(ch)[0] == "C" else ch
                            for ch in text).split())[:MAX_QUERY]
    bare = text.lstrip("#").strip()
    email = text.lower() if _EMAIL.match(text) else ""
    phones = () if email else phone_candidates(text)
    name = text if (not email and not phones and any(ch.isalpha() for ch in text)
                    and len(text) >= 2) else ""
    return SearchQuery(text=text, numbers=tuple(dict.fromkeys(n for n in (text, bare, f"#{bare}")
                                                              if bare)),
                       token=re.sub(r"\s", "", text).upper(), email=email, phones=phones,
                       name=name)


@cache
def trigram_search_available(alias: str = "default") -> bool:
    """Whether the migrations built the trigram search (pg_trgm was there: the index and the
    function that uses it under row-level security, orders/migrations/0010)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_proc WHERE proname = 'doorstep_customer_names'")
        return cursor.fetchone() is not None


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _names_trigram(name: str) -> dict[int, float]:
    """Customers whose folded name holds something like `name` (pg_trgm's word similarity,
    which scores the best matching part of the name: "mül" finds "Hans Müller"), through
    `doorstep_customer_names`: row-level security would keep the planner off the trigram
    index (`<%` is not LEAKPROOF), so the function applies the tenant rule itself (the
    session's tenant only) and reads through the index (orders/migrations/0010)."""
    with transaction.atomic(), connection.cursor() as cursor:
        # pg_trgm's default threshold (0.6) misses a letter dropped from a short name ("Rivra"
        # is 0.5 alike "Rivera"); `<%` reads the threshold, so the index still serves. Local
        # to this transaction: a session-wide SET would be undone by a rolled-back request
        # and is lost behind a transaction-pooling PgBouncer.
        cursor.execute("SELECT set_config('pg_trgm.word_similarity_threshold', %s, true)",
                       [str(NAME_LIKENESS)])
        # The typed text is a bound parameter.
        cursor.execute("SELECT id, score FROM doorstep_customer_names(doorstep_fold(%s), %s)",
                       [name, NAME_CANDIDATES])
        return {pk: float(score) for pk, score in cursor.fetchall()}


def _word_likeness(typed: str, words: list[str]) -> float:
    best = 0.0
    for word in words:
        if word.startswith(typed):
            return 1.0
        best = max(best, SequenceMatcher(None, typed, word[:len(typed) + 1]).ratio())
    return best


def _names_fallback(name: str) -> dict[int, float]:
    """Without pg_trgm: candidates whose folded name contains the first three letters of a
    typed word (one scan of the tenant's customers, at most FALLBACK_CANDIDATES), ranked by
    how alike each typed word is to the name's words; every typed word must be alike."""
    typed = [w for w in re.split(r"[^\w]+", fold(name)) if w][:MAX_NAME_WORDS]
    if not typed:
        return {}
    pieces = list(dict.fromkeys(w[:3] for w in typed))
    condition = " OR ".join([f"{_NAME_FOLD} LIKE %s"] * len(pieces))
    rows = (Customer.objects
            .filter(RawSQL(f"({condition})",  # noqa: S611 (bound parameters)
                           [f"%{_like_escaped(p)}%" for p in pieces],
                           output_field=BooleanField()))
            .values_list("pk", "first_name", "last_name")[:FALLBACK_CANDIDATES])
    found = {}
    for pk, first, last in rows:
        words = [w for w in re.split(r"[^\w]+", fold(f"{first} {last}")) if w]
        scores = [_word_likeness(t, words) for t in typed]
        if min(scores) >= FALLBACK_LIKENESS:
            found[pk] = sum(scores) / len(scores)
    return dict(sorted(found.items(), key=lambda kv: -kv[1])[:NAME_CANDIDATES])


def _customer_orders(customer_ranks: dict[int, float], matched: str) -> list[SearchHit]:
    if not customer_ranks:
        return []
    rows = (Order.objects.filter(customer_id__in=list(customer_ranks))
            .order_by("-placed_at", "-pk")
            .values_list("pk", "customer_id")[:ORDERS_PER_CUSTOMER_MATCH])
    return [SearchHit(pk, customer_ranks[customer_id], matched) for pk, customer_id in rows]


def _own_hits(query: SearchQuery, *, trigram: bool) -> list[SearchHit]:
    hits: list[SearchHit] = []
    if query.numbers:
        rows = (Order.objects.filter(Q(number__in=query.numbers) | Q(external_id=query.text))
                .values_list("pk", "number")[:RESULTS])
        hits += [SearchHit(pk, 1.0, "Order number" if number in query.numbers else "External id")
                 for pk, number in rows]
    if query.email:
        ids = Customer.objects.filter(email=query.email).values_list("pk", flat=True)[:RESULTS]
        hits += _customer_orders(dict.fromkeys(ids, 1.0), "Customer e-mail")
    if query.phones:
        ids = Customer.objects.filter(phone__in=query.phones).values_list("pk", flat=True)[:RESULTS]
        hits += _customer_orders(dict.fromkeys(ids, 1.0), "Customer phone")
    if query.name:
        names = _names_trigram(query.name) if trigram else _names_fallback(query.name)
        # Below any exact match, in the order of likeness.
        hits += _customer_orders({pk: 0.99 * score for pk, score in names.items()},
                                 "Customer name")
    return hits


@dataclass
class SearchResult:
    order: Order
    rank: float
    matched: str
    flags: list[OrderFlag] = field(default_factory=list)

    @property
    def problems(self) -> list[OrderFlag]:
        return [f for f in self.flags if f.problem]


def order_search(tenant: Tenant, text: str, *, limit: int = RESULTS,
                     trigram: bool | None = None) -> list[SearchResult]:
    """Orders matching `text`, best match first (then newest), with what each result shows.
    Empty text finds nothing. `trigram` forces a name-matching path (tests); None: whichever
    the database has."""
    query = search_query_parse(text)
    if not query.text:
        return []
    if trigram is None:
        trigram = trigram_search_available()
    hits = _own_hits(query, trigram=trigram)
    for _receiver, found in order_search_hits.send(sender=Order, tenant=tenant, query=query):
        hits += cast(list[SearchHit], found or [])
    best: dict[int, SearchHit] = {}
    for hit in hits:
        if hit.order_id not in best or hit.rank > best[hit.order_id].rank:
            best[hit.order_id] = hit
    if not best:
        return []
    orders = {o.pk: o for o in Order.objects.select_related("customer").filter(pk__in=list(best))}
    ranked = sorted(orders.values(), key=lambda o: (-best[o.pk].rank, -o.placed_at.timestamp(),
                                                    -o.pk))[:limit]
    results = [SearchResult(o, best[o.pk].rank, best[o.pk].matched) for o in ranked]
    ids = [r.order.pk for r in results]
    for _receiver, flags in order_flags.send(sender=Order, tenant=tenant, order_ids=ids):
        for result in results:
            result.flags += cast(dict[int, list[OrderFlag]], flags or {}).get(result.order.pk, [])
    return results
