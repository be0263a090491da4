"""The dashboard's filters from validated input (the API's query serializer, the dashboard's
form): one place that turns them into `kpis.Filters`."""

from __future__ import annotations

from collections.abc import Mapping

from .kpis import Filters


def filters_from(data: Mapping) -> Filters:
    return Filters(channel=data.get("channel") or "", journey=data.get("journey") or None,
                   locale=data.get("locale") or "", carrier=data.get("carrier") or "")
