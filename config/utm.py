"""UTM parameters on links that leave Doorstep for a retailer's site (message links, the
tracking page's recommendations), so the retailer's analytics see where a visit came from."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit


def utm_added(url: str, utm: dict[str, str]) -> str:
    """`url` with the `utm` parameters it lacks, keeping its query as written (no re-encoding)
    and any utm_* the retailer set on the link themselves."""
    parts = urlsplit(url)
    present = {pair.split("=", 1)[0] for pair in parts.query.split("&") if pair}
    missing = urlencode({k: v for k, v in utm.items() if k not in present})
    query = "&".join(q for q in (parts.query, missing) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
