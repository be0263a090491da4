"""Product areas that are not built yet. Each says plainly what will be there, so a retailer
exploring the dashboard knows what is coming instead of meeting an empty screen. When an
area's app ships its own pages, its entry here and its URL go away."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ..permissions import Perm
from .base import dashboard_view


@dataclass(frozen=True)
class Area:
    slug: str
    title: str
    perm: Perm
    summary: str
    coming: tuple[str, ...]


_COMING: tuple[Area, ...] = (
)
AREAS: dict[str, Area] = {area.slug: area for area in _COMING}


def _make_view(area: Area):
    @dashboard_view(area.perm)
    def view(request: HttpRequest) -> HttpResponse:
        return render(request, "dashboard/area.html", {"area": area, "nav_active": area.slug})

    view.__name__ = f"{area.slug}_area"
    return view


AREA_VIEWS = {slug: _make_view(area) for slug, area in AREAS.items()}
