"""Page-by-page lists, newest first: one page of rows and a total counted only up to a cap,
so a list never runs an unbounded COUNT(*) over a large table.

    page = page_of(request, Order.objects.order_by("-placed_at", "-pk"))
    {% include "partials/pager.html" %}      "Newest first · 1–50 of 300"  ← Newer  Older →
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import HttpRequest

PER_PAGE = 50
# Counting stops here: past it the pager says "of 10,000+" (the count reads at most this many
# index entries, a few milliseconds, where a full COUNT(*) grows with the store).
COUNT_CAP = 10_000


@dataclass
class Page:
    rows: list
    number: int
    per_page: int
    total: int  # COUNT_CAP + 1 stands for "more than COUNT_CAP"
    previous_query: str
    next_query: str

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number * self.per_page < self.total

    @property
    def first(self) -> int:
        return (self.number - 1) * self.per_page + 1

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1

    @property
    def total_words(self) -> str:
        return f"{COUNT_CAP:,}+" if self.total > COUNT_CAP else f"{self.total:,}"


def page_of(request: HttpRequest, queryset: QuerySet, per_page: int = PER_PAGE) -> Page:
    """The `?page=` page of `queryset`, which the caller orders newest first."""
    try:
        number = max(1, min(int(request.GET.get("page", 1)), 10_000))
    except ValueError:
        number = 1
    start = (number - 1) * per_page
    rows = list(queryset[start:start + per_page])
    # A full page, or a page past the first, needs the count; a short first page is its own.
    total = (queryset[:COUNT_CAP + 1].count() if number > 1 or len(rows) == per_page
             else len(rows))

    def query(page: int) -> str:
        params = request.GET.copy()
        params["page"] = str(page)
        return params.urlencode()

    return Page(rows=rows, number=number, per_page=per_page, total=total,
                previous_query=query(number - 1), next_query=query(number + 1))
