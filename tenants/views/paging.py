"""Page-by-page lists: fetch one row more than a page to know whether there is a next page,
so a list never runs COUNT(*) over a large table."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import HttpRequest

PER_PAGE = 50


@dataclass
class Page:
    rows: list
    number: int
    has_next: bool
    previous_query: str
    next_query: str

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def page_of(request: HttpRequest, queryset: QuerySet, per_page: int = PER_PAGE) -> Page:
    try:
        number = max(1, min(int(request.GET.get("page", 1)), 10_000))
    except ValueError:
        number = 1
    start = (number - 1) * per_page
    rows = list(queryset[start:start + per_page + 1])

    def query(page: int) -> str:
        params = request.GET.copy()
        params["page"] = str(page)
        return params.urlencode()

    return Page(rows=rows[:per_page], number=number, has_next=len(rows) > per_page,
                previous_query=query(number - 1), next_query=query(number + 1))
