"""Per-shopper picks: what goes *with* what they bought, for a whole batch at once.

    the order's products ─┐
    the customer's history (bought, returned, shown and ignored) ─┴─▶ excluded, sources
        ─▶ pinned products (the retailer's, first)
        ─▶ learned complements of the order's products (weight 1) and of the history's (½),
           an ignored showing halving a product's score
        ─▶ category complements: the retailer's rules, then learned category pairs
        ─▶ the store's best sellers of other categories
        ─▶ the retailer's curated list ─▶ the catalog, by title (a store with no sales yet)

Never: what the shopper bought or returned, a substitute of it (learned, or of a category of
this order), what is out of stock, what the retailer blocked; and nothing because of a
product they returned (no stove for a tent sent back). Each pick says which step
chose it and its score (the preview shows both).

A batch of any size takes a fixed number of queries (at most twelve): the settings, the
orders' lines, the customers' history, their returns, their ignored showings, the
associations, the rules, the category rules and pairs, the best sellers, the catalog
fallback (only when short) and the products themselves.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, Max, OuterRef, Window
from django.db.models.functions import RowNumber

from orders.models import LineItem, Product
from tenants.models import Tenant

from .learning import settings_get
from .models import (
    AssociationKind,
    CategoryAssociation,
    CategoryRule,
    ProductAssociation,
    ProductPopularity,
    ProductRule,
    RecommendationClick,
    RecommendationShown,
    Surface,
)

HISTORY_WEIGHT = 0.5  # a complement of an earlier purchase counts half one of this order's
HISTORY_SOURCES = 50  # the customer's latest distinct products whose complements count
IGNORED_DECAY = 0.5  # each showing without a click halves a product's score for that shopper
BEST_SELLERS_MAX = 1000  # best sellers read per category, at most


class Step:
    """Which step of the chain chose a pick (shown in the preview and recorded when shown)."""

    PINNED = "pinned"
    COMPLEMENT = "complement"
    CATEGORY_RULE = "category_rule"
    CATEGORY_COMPLEMENT = "category_complement"
    BEST_SELLER = "best_seller"
    CURATED = "curated"
    CATALOG = "catalog"


@dataclass(frozen=True)
class Target:
    """Whom to pick for: an order (and its customer), a customer alone, or products in hand
    (a preview of what follows a purchase of them)."""

    key: object
    order_id: int | None = None
    customer_id: int | None = None
    product_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Pick:
    product_id: int
    step: str
    score: float
    because: tuple[int, ...] = ()  # for a complement: the bought products it goes with
    category: str = ""


# The returns app (above this one) tells which products each customer returned: it
# registers a source here in its AppConfig.ready. Without one, nothing counts as returned.
ReturnedSource = Callable[[Tenant, set[int]], dict[int, set[int]]]
_returned_sources: list[ReturnedSource] = []


def returned_products_source_register(source: ReturnedSource) -> None:
    """`source(tenant, customer_ids)` → {customer id: ids of products they returned}."""
    if source not in _returned_sources:
        _returned_sources.append(source)


@dataclass
class _Shopper:
    customer_id: int | None = None
    order_products: set[int] = field(default_factory=set)
    order_categories: set[str] = field(default_factory=set)
    history: list[int] = field(default_factory=list)  # latest first
    excluded: set[int] = field(default_factory=set)
    returned: set[int] = field(default_factory=set)  # no source of complements either


def picks_many(tenant: Tenant, targets: Iterable[Target], *, surface: str = Surface.EMAIL,
               limit: int | None = None) -> dict[object, list[Pick]]:
    """Up to `limit` picks (the store's count for `surface` when None) per target, by key."""
    targets = list(targets)
    if not targets:
        return {}
    if limit is None:
        limit = settings_get(tenant).limit_for(surface)
    if limit <= 0:
        return {target.key: [] for target in targets}
    shoppers = _shoppers(tenant, targets)
    sources = {pid for s in shoppers.values() for pid in s.order_products | set(s.history)}
    assoc = _associations(sources)
    rules = _rules()
    for s in shoppers.values():
        s.excluded |= rules.blocked
        for source in s.order_products | set(s.history):
            s.excluded |= {related for related, kind, _, _ in assoc.get(source, ())
                           if kind == AssociationKind.SUBSTITUTE}
    ignored = _ignored({s.customer_id for s in shoppers.values() if s.customer_id})
    chooser = _Chooser(limit)
    picked: dict[object, list[Pick]] = {}
    for target in targets:
        s = shoppers[target.key]
        chosen = chooser.start(s)
        for pid, category in rules.pinned:
            chosen.offer(pid, category, Step.PINNED, 0.0, any_category=True)
        chosen.offer_all(_complements(s, assoc, ignored.get(s.customer_id or 0, {})))
        picked[target.key] = chosen.picks
    _fill_from_categories(picked, shoppers, chooser, limit)
    short = [k for k, picks in picked.items() if len(picks) < limit]
    if short:
        worst = max(len(shoppers[k].excluded) for k in short)
        sellers = _best_sellers(min(limit + worst, BEST_SELLERS_MAX), categories=None)
        by_score = sorted((row for rows in sellers.values() for row in rows),
                          key=lambda row: (-row[2], row[0]))
        for key in short:
            chosen = chooser.resume(shoppers[key], picked[key])
            for pid, category, score in by_score:
                chosen.offer(pid, category, Step.BEST_SELLER, score)
            for pid, category in rules.curated:
                chosen.offer(pid, category, Step.CURATED, 0.0, any_category=True)
    short = [k for k, picks in picked.items() if len(picks) < limit]
    if short:  # a store without sales: anything complementary in stock
        worst = max(len(shoppers[k].excluded) + len(picked[k]) for k in short)
        catalog = _catalog_by_title(limit + worst)
        for key in short:
            chosen = chooser.resume(shoppers[key], picked[key])
            for pid, category in catalog:
                chosen.offer(pid, category, Step.CATALOG, 0.0)
    return picked


class _Chooser:
    def __init__(self, limit: int):
        self.limit = limit

    def start(self, shopper: _Shopper) -> _Chosen:
        return _Chosen(self.limit, shopper, [])

    def resume(self, shopper: _Shopper, picks: list[Pick]) -> _Chosen:
        return _Chosen(self.limit, shopper, picks)


@dataclass
class _Chosen:
    limit: int
    shopper: _Shopper
    picks: list[Pick]

    def full(self) -> bool:
        return len(self.picks) >= self.limit

    def offer(self, pid: int, category: str, step: str, score: float, *,
              because: tuple[int, ...] = (), any_category: bool = False) -> None:
        """Take the product if there is room and nothing rules it out: bought, returned,
        blocked, a substitute, already picked, or (unless the retailer chose it) of one of
        the order's own categories. Stock is checked where the candidates are read."""
        if self.full() or pid in self.shopper.excluded or any(
                p.product_id == pid for p in self.picks):
            return
        if not any_category and category and category in self.shopper.order_categories:
            return
        self.picks.append(Pick(pid, step, round(score, 6), because, category))

    def offer_all(self, ranked: list[tuple[int, str, float, tuple[int, ...]]]) -> None:
        for pid, category, score, because in ranked:
            if self.full():
                return
            self.offer(pid, category, Step.COMPLEMENT, score, because=because)


def _shoppers(tenant: Tenant, targets: list[Target]) -> dict[object, _Shopper]:
    """What each target's order holds and what its customer bought and returned before."""
    order_ids = {t.order_id for t in targets if t.order_id}
    lines: dict[int, list[tuple[int, str]]] = defaultdict(list)
    customer_of: dict[int, int | None] = {}
    if order_ids:
        for order_id, customer_id, pid, category in LineItem.objects.filter(
                order_id__in=order_ids).values_list(
                "order_id", "order__customer_id", "product_id", "product__category"):
            customer_of[order_id] = customer_id
            if pid is not None:
                lines[order_id].append((pid, category))
    in_hand = {pid for t in targets for pid in t.product_ids}
    in_hand_categories = dict(Product.objects.filter(pk__in=in_hand).values_list(
        "pk", "category")) if in_hand else {}
    customer_ids = {t.customer_id for t in targets if t.customer_id}
    customer_ids |= {c for c in customer_of.values() if c}
    history: dict[int, list[int]] = defaultdict(list)
    if customer_ids:
        rows = (LineItem.objects.filter(order__customer_id__in=customer_ids)
                .exclude(product=None).values("order__customer_id", "product_id")
                .annotate(last=Max("order__placed_at"))
                .order_by("order__customer_id", "-last", "product_id")
                .values_list("order__customer_id", "product_id"))
        for customer_id, pid in rows:
            history[customer_id].append(pid)
    returned: dict[int, set[int]] = defaultdict(set)
    for source in _returned_sources:
        for customer_id, pids in source(tenant, customer_ids).items():
            returned[customer_id] |= pids
    shoppers = {}
    for target in targets:
        s = _Shopper()
        held = [(pid, in_hand_categories[pid]) for pid in target.product_ids
                if pid in in_hand_categories]
        for pid, category in [*lines.get(target.order_id or 0, ()), *held]:
            s.order_products.add(pid)
            if category:
                s.order_categories.add(category)
        whose = target.customer_id or customer_of.get(target.order_id or 0)
        s.customer_id = whose
        if whose:
            s.returned = returned[whose]
            s.history = [p for p in history[whose]
                         if p not in s.order_products and p not in s.returned]
            s.excluded = set(history[whose]) | s.returned
        s.excluded |= s.order_products
        s.history = s.history[:HISTORY_SOURCES]
        shoppers[target.key] = s
    return shoppers


def _associations(sources: set[int]) -> dict[int, list[tuple[int, str, float, str]]]:
    """By source product: (related, kind, score, related's category), in-stock related only
    for complements (a substitute rules its product out whatever its stock)."""
    found: dict[int, list[tuple[int, str, float, str]]] = defaultdict(list)
    if sources:
        for pid, related, kind, score, category, in_stock in ProductAssociation.objects.filter(
                product_id__in=sources).values_list(
                "product_id", "related_id", "kind", "score", "related__category",
                "related__in_stock"):
            if in_stock or kind == AssociationKind.SUBSTITUTE:
                found[pid].append((related, kind, score, category))
    return found


def _complements(s: _Shopper, assoc, ignored: dict[int, int]
                 ) -> list[tuple[int, str, float, tuple[int, ...]]]:
    scores: dict[int, float] = defaultdict(float)
    because: dict[int, list[int]] = defaultdict(list)
    categories: dict[int, str] = {}
    weighted = [(pid, 1.0) for pid in sorted(s.order_products - s.returned)]
    weighted += [(pid, HISTORY_WEIGHT) for pid in s.history]
    for source, weight in weighted:
        for related, kind, score, category in assoc.get(source, ()):
            if kind == AssociationKind.COMPLEMENT:
                scores[related] += score * weight
                because[related].append(source)
                categories[related] = category
    for pid, times in ignored.items():
        if pid in scores:
            scores[pid] *= IGNORED_DECAY ** times
    return [(pid, categories[pid], score, tuple(because[pid]))
            for pid, score in sorted(scores.items(), key=lambda item: (-item[1], item[0]))]


@dataclass
class _Rules:
    pinned: list[tuple[int, str]]
    curated: list[tuple[int, str]]
    blocked: set[int]


def _rules() -> _Rules:
    rules = _Rules([], [], set())
    for pid, kind, in_stock, category in ProductRule.objects.order_by(
            "position", "pk").values_list("product_id", "kind", "product__in_stock",
                                          "product__category"):
        if kind == ProductRule.Kind.BLOCK:
            rules.blocked.add(pid)
        elif in_stock:
            (rules.pinned if kind == ProductRule.Kind.PIN else rules.curated).append(
                (pid, category))
    return rules


def _ignored(customer_ids: set[int]) -> dict[int, dict[int, int]]:
    """By customer: how often each product was shown to them without their clicking it."""
    ignored: dict[int, dict[int, int]] = defaultdict(dict)
    if customer_ids:
        clicked = RecommendationClick.objects.filter(customer_id=OuterRef("customer_id"),
                                                     product_id=OuterRef("product_id"))
        for customer_id, pid, times in (
                RecommendationShown.objects.filter(customer_id__in=customer_ids)
                .exclude(Exists(clicked)).values("customer_id", "product_id")
                .annotate(times=Count("id")).order_by()
                .values_list("customer_id", "product_id", "times")):
            ignored[customer_id][pid] = times
    return ignored


def _fill_from_categories(picked: dict[object, list[Pick]], shoppers: dict[object, _Shopper],
                          chooser: _Chooser, limit: int) -> None:
    """Category complements for the targets still short: the retailer's rules for the
    order's categories, then the categories learned to go with them; the best sellers of
    each, one category at a time in turn."""
    short = [k for k, picks in picked.items() if len(picks) < limit
             and shoppers[k].order_categories]
    if not short:
        return
    own = set().union(*(shoppers[k].order_categories for k in short))
    ruled = dict(CategoryRule.objects.filter(category__in=own).values_list(
        "category", "related_categories"))
    learned: dict[str, list[str]] = defaultdict(list)
    for category, related in CategoryAssociation.objects.filter(category__in=own).order_by(
            "category", "-score", "related_category").values_list("category",
                                                                   "related_category"):
        learned[category].append(related)
    wanted = {c for cs in ruled.values() for c in cs} | {c for cs in learned.values() for c in cs}
    if not wanted:
        return
    worst = max(len(shoppers[k].excluded) for k in short)
    sellers = _best_sellers(min(limit + worst, BEST_SELLERS_MAX), categories=wanted)
    for key in short:
        s = shoppers[key]
        chosen = chooser.resume(s, picked[key])
        for step, targets in (
                (Step.CATEGORY_RULE, [c for own_c in sorted(s.order_categories)
                                      for c in ruled.get(own_c, [])]),
                (Step.CATEGORY_COMPLEMENT, [c for own_c in sorted(s.order_categories)
                                            for c in learned.get(own_c, [])])):
            queues = [list(sellers.get(c, ())) for c in dict.fromkeys(targets)]
            while queues and not chosen.full():
                for queue in queues:
                    while queue:
                        pid, category, score = queue.pop(0)
                        before = len(chosen.picks)
                        chosen.offer(pid, category, step, score,
                                     any_category=step == Step.CATEGORY_RULE)
                        if len(chosen.picks) > before:
                            break
                queues = [q for q in queues if q]


def _best_sellers(per_category: int, *, categories: set[str] | None
                  ) -> dict[str, list[tuple[int, str, float]]]:
    """By category: in-stock products, (id, category, score), the best sellers first, at
    most `per_category` of each."""
    rows = ProductPopularity.objects.filter(product__in_stock=True)
    if categories is not None:
        rows = rows.filter(product__category__in=categories)
    rows = rows.annotate(rank=Window(RowNumber(), partition_by=F("product__category"),
                                     order_by=(F("score").desc(), F("product_id"))))
    found: dict[str, list[tuple[int, str, float]]] = defaultdict(list)
    for pid, category, score in rows.filter(rank__lte=per_category).order_by(
            "product__category", "-score", "product_id").values_list(
            "product_id", "product__category", "score"):
        found[category].append((pid, category, score))
    return found


def _catalog_by_title(per_category: int) -> list[tuple[int, str]]:
    """In-stock products, (id, category) by title, the first `per_category` of each
    category: enough for every target, which skips its own categories and at most what it
    excludes or picked already."""
    return list(Product.objects.filter(in_stock=True).annotate(
        rank=Window(RowNumber(), partition_by=F("category"), order_by=(F("title"), F("pk"))),
    ).filter(rank__lte=per_category).order_by("title", "pk").values_list("pk", "category"))
