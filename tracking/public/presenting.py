"""The page's data in the shopper's words: the template context for one shipment in one
language. Pure (no queries): everything comes from `TrackingPageData`.

    headline + explanation (per status and cause) · progress steps · ETA and where it comes
    from · last scan · timeline grouped by day, in the shopper's time zone · items with their
    how-to links · the order's parcels · recommendations · help, returns, apology · brand look
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from functools import lru_cache
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.utils import formats
from django.utils.translation import get_language, ngettext

from config.i18n import gettext, per_language, pgettext, said
from config.jinja import ENGINE
from orders.selectors import NO_PRODUCT, product_shown
from recommendations.selectors import product_pick
from tenants.models import hex_colour
from tenants.selectors import (
    DEFAULT_ACCENT,
    DEFAULT_PRIMARY,
    brand_data,
    ink_on_white,
    readable_on,
)

from ..statuses import STATUS_RANK, ExceptionCause, TrackingStatus
from . import words
from .languages import language_names, offered_languages
from .selectors import Item, Parcel, TrackingPageData

S = TrackingStatus
PROBLEM = frozenset({S.EXCEPTION, S.ATTEMPT_FAILED, S.RETURNED_TO_SENDER, S.CANCELLED,
                     S.EXPIRED})
# By stored value, read once: TextChoices' `.values` builds a new list at every use.
STATUSES = {status.value: status for status in S}
CAUSES = {cause.value: cause for cause in ExceptionCause}
FEEDBACK_TEMPLATE = "tracking/public/_feedback.html"
HEX = cast(re.Pattern[str], hex_colour.regex)  # the Brand's own validator


def page_context(data: TrackingPageData, lang: str, *,
                 recommendations: list | None = None) -> dict[str, Any]:
    """Everything page.html shows, in `lang` (call it inside translation.override(lang))."""
    shipment = data.shipment
    zone = shopper_zone(data)
    status = _status(shipment.status)
    page_settings = data.settings
    delivered = status == S.DELIVERED
    layout = layout_context(data.tenant, data.brand, lang, page_settings.languages)
    context = {
        **status_context(data, lang, zone=zone),
        **layout,
        "greeting": _greeting(data),
        "token": shipment.public_token,
        "first_name": data.first_name,
        "city": data.city,
        "order_number": data.order_number,
        "items": _items(data, lang) if page_settings.show_items else [],
        "items_are_parcel": data.items_are_parcel,
        "parcels": _parcels(data, lang),
        "recommendations": [_pick(product, lang) for product in recommendations or ()]
        if page_settings.show_recommendations else [],
        "help": _help(layout["brand"]) if page_settings.show_help else None,
        # The returns portal, opened on this parcel's order by its token (returns/portal).
        "returns_url": (f"/s/{data.tenant.slug}/returns/?t={shipment.public_token}"
                        if page_settings.returns_enabled and delivered else ""),
        "apology": _apology(data, status),
        "feedback": data.feedback,
        "feedback_form": delivered and feedback_partial_exists(),
    }
    if context["parcels"]:
        count = len(context["parcels"])
        context["parcels_heading"] = ngettext(
            "Order %(number)s comes in %(counter)s parcel",
            "Order %(number)s comes in %(counter)s parcels", count) % {
            "number": data.order_number, "counter": count}
    if context["feedback_form"]:
        context["rate"] = rating_form(data.feedback, zone)
    return context


def rating_form(feedback, zone: tzinfo, *, rating: str = "", comment: str = "") -> dict[str, Any]:
    """What `_feedback.html` shows of a rating: the five stars (which are lit, which one is
    checked: the rating sent, else the one given), the comment, until when it can change."""
    current = str(rating or (feedback.rating if feedback else "") or "")
    stars = [{"value": n, "checked": n == current, "filled": n <= current, "label": label}
             for n, label in zip("12345", _star_labels(get_language()), strict=True)]
    until = "" if feedback is None else formats.date_format(
        feedback.editable_until.astimezone(zone), "DATE_FORMAT")
    return {"stars": stars, "comment": comment or (feedback.comment if feedback else ""),
            "editable_until": until}


def layout_context(tenant, brand, lang: str, languages: list[str] | None = None
                   ) -> dict[str, Any]:
    """What templates/jinja2/tracking/public/base.html needs: the shop's look, its colours made
    readable, and the language switcher (the shop's offered languages, `lang` current)."""
    look = brand_data(tenant, brand, absolute=False)
    for name, default in (("primary_color", DEFAULT_PRIMARY), ("accent_color", DEFAULT_ACCENT)):
        if not HEX.match(look[name] or ""):
            look[name] = default  # only a validated colour reaches the page's CSS
    look["on_primary"], ink, mark = _readable(look["primary_color"])
    return {
        "brand": look,
        "ink": ink,  # the brand colour as text on white: 4.5:1
        "mark": mark,  # as bars and borders: 3:1
        "shop_name": look["sender_name"],
        "lang": lang,
        "languages": [{"code": code, "name": language_names()[code], "current": code == lang}
                      for code in offered_languages(languages)],
    }


@per_language(maxsize=16)
def _star_labels(lang: str) -> tuple[str, ...]:
    """"1 star" … "5 stars" in `lang` (the active language): five plural look-ups a
    delivered parcel's page, made once per process and language."""
    return tuple(ngettext("%(counter)s star", "%(counter)s stars", n) % {"counter": str(n)}
                 for n in range(1, 6))


@lru_cache(maxsize=256)
def _readable(colour: str) -> tuple[str, str, str]:
    """Text on the colour, and the colour darkened for text and for bars on white (a shop's
    colour changes rarely: its contrast sums are made once per process)."""
    return readable_on(colour), ink_on_white(colour), ink_on_white(colour, ratio=3)


def _greeting(data: TrackingPageData) -> str:
    """"Hi Sam, order #1001 to Berlin": the first name and the city, nothing more."""
    parts = {"name": data.first_name, "number": data.order_number, "city": data.city}
    if data.first_name and data.order_number and data.city:
        return gettext("Hi %(name)s, here is your order %(number)s to %(city)s.") % parts
    if data.first_name and data.order_number:
        return gettext("Hi %(name)s, here is your order %(number)s.") % parts
    if data.first_name:
        return gettext("Hi %(name)s, here is your parcel.") % parts
    if data.order_number:
        return gettext("Your order %(number)s") % parts
    return ""


def status_context(data: TrackingPageData, lang: str, *, zone: tzinfo | None = None
                   ) -> dict[str, Any]:
    """What `_status.html` and `_timeline.html` show: the status, progress, ETA, last scan,
    explanation and timeline; no personal data and no items, so the lookup's "tracking number
    only" answer can show it to anyone holding the number."""
    shipment = data.shipment
    zone = zone or shopper_zone(data)
    status = _status(shipment.status)
    newest = data.events[0] if data.events else None
    return {
        "status": status.value,
        "status_name": said(words.STATUS_NAMES[status]),
        "headline": _headline(shipment, status),
        "problem": status in PROBLEM or shipment.delayed or shipment.stalled,
        "explanation": _explanation(shipment, status),
        "carrier_note": shipment.exception_message if status == S.EXCEPTION else "",
        "steps": progress_steps(shipment, status),
        "eta": _eta(data, status, zone),
        "last_scan": None if newest is None else {
            "when": _when(newest.occurred_at, zone), "iso": newest.occurred_at.isoformat(),
            "where": newest.location, "words": said(words.STATUS_NAMES[_status(newest.status)]),
            "carrier_words": newest.message},
        "carrier": shipment.carrier,
        "tracking_number": shipment.tracking_number,
        "timeline": timeline_days(data, zone),
        "zone_name": str(zone),
    }


def _status(value: str) -> S:
    """A stored status as ours; one we do not know reads as `unknown`."""
    return STATUSES.get(value, S.UNKNOWN)


def shopper_zone(data: TrackingPageData) -> tzinfo:
    """The shopper's time zone, else the shop's, else UTC."""
    for name in (data.customer_timezone, data.tenant.timezone):
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def _headline(shipment, status: S) -> str:
    if status not in PROBLEM and status != S.DELIVERED:
        if shipment.delayed:
            return said(words.DELAYED_HEADLINE)
        if shipment.stalled:
            return said(words.STALLED_HEADLINE)
    return said(words.HEADLINES[status])


def _explanation(shipment, status: S) -> dict[str, str] | None:
    """What happened and what happens next, per status and (for exceptions) per cause."""
    if status == S.EXCEPTION:
        cause = CAUSES.get(shipment.exception_cause, ExceptionCause.OTHER)
        happened, next_ = words.EXPLANATIONS[("exception", cause)]
        return {"happened": said(happened), "next": said(next_),
                "cause": said(words.CAUSE_NAMES[cause])}
    key = status.value
    if status not in PROBLEM and status != S.DELIVERED:
        key = "delayed" if shipment.delayed else "stalled" if shipment.stalled else key
    found = words.EXPLANATIONS.get((key, ""))
    if found is None:
        return None
    return {"happened": said(found[0]), "next": said(found[1]), "cause": ""}


@dataclass(frozen=True)
class Step:
    label: str
    state: str  # done, current, problem, todo
    state_words: str


def progress_steps(shipment, status: S) -> list[Step]:
    """ordered → shipped → in transit → out for delivery (or ready to collect) → delivered (or
    collected, or returning to the shop). A problem shows at the step where it happened."""
    pickup = status == S.AVAILABLE_FOR_PICKUP
    labels = [words.STEP_ORDERED, words.STEP_SHIPPED, words.STEP_IN_TRANSIT,
              words.STEP_READY_FOR_PICKUP if pickup else words.STEP_OUT_FOR_DELIVERY,
              words.STEP_RETURNING if status == S.RETURNED_TO_SENDER
              else words.STEP_COLLECTED if pickup else words.STEP_DELIVERED]
    shipped = shipment.shipped_at is not None or STATUS_RANK.get(status, 0) >= 2 \
        and status not in (S.EXCEPTION, S.CANCELLED, S.EXPIRED, S.RETURNED_TO_SENDER)
    current = {S.PENDING: 1, S.IN_TRANSIT: 2, S.OUT_FOR_DELIVERY: 3, S.AVAILABLE_FOR_PICKUP: 3,
               S.ATTEMPT_FAILED: 3, S.DELIVERED: 4, S.RETURNED_TO_SENDER: 4}.get(status)
    if current is None:  # exception, cancelled, expired, unknown: where it had got to
        current = 2 if shipped else 1
    problem = status in PROBLEM or shipment.delayed or shipment.stalled
    steps = []
    for index, label in enumerate(labels):
        if index < current or (index == current == 4 and status == S.DELIVERED):
            state = "done"
        elif index == current:
            state = "problem" if problem else "current"
        else:
            state = "todo"
        steps.append(Step(said(label), state, said({
            "done": words.STEP_DONE, "current": words.STEP_CURRENT,
            "problem": words.STEP_PROBLEM, "todo": words.STEP_TODO}[state])))
    if status == S.PENDING:
        steps[0] = Step(steps[0].label, "done", said(words.STEP_DONE))
    return steps


def _eta(data: TrackingPageData, status: S, zone: tzinfo) -> dict[str, Any]:
    """The delivery date and whose it is: delivered, else the carrier's estimate, else the
    date promised at checkout, else an honest "not known yet"."""
    shipment = data.shipment
    if status == S.DELIVERED and shipment.delivered_at:
        return {"label": said(words.DELIVERED_ON), "value": _when(shipment.delivered_at, zone),
                "source": "", "iso": shipment.delivered_at.isoformat()}
    if status in (S.RETURNED_TO_SENDER, S.CANCELLED, S.EXPIRED):
        return {}
    promised = shipment.promised_delivery or data.order_promised_delivery
    if shipment.carrier_estimated_delivery:
        day, label, source = (shipment.carrier_estimated_delivery, words.ETA_CARRIER,
                              words.ETA_CARRIER_SOURCE)
    elif promised:
        day, label, source = promised, words.ETA_PROMISED, words.ETA_PROMISED_SOURCE
    else:
        return {"label": said(words.ETA_CARRIER), "value": "", "source": "",
                "none": said(words.ETA_NONE)}
    eta = {"label": said(label), "value": day_words(day), "source": said(source),
           "iso": day.isoformat()}
    if shipment.delayed:
        # The date passed: say so, and do not present it as what will happen.
        eta.update(value="", none=said(words.ETA_NONE),
                   was_due=said(words.ETA_WAS_DUE) % {"date": day_words(day)})
    return eta


def day_words(day: date) -> str:
    """"Thursday, 10 December" in the page's language (Django's month and day names)."""
    return _day_words(get_language(), day)


# Django's date formatting costs ~20 µs a call and a page makes one per scan: the words of a
# day or a time of day in a language never change, so each is made once per process.
@per_language(maxsize=4096)
def _day_words(lang: str, day: date) -> str:
    return formats.date_format(day, pgettext("a day, PHP date() format", "l, j F"))


@per_language(maxsize=4096)
def _time_words(lang: str, moment: time) -> str:
    return formats.time_format(moment, "TIME_FORMAT")


def time_words(local: datetime) -> str:
    """"14:05" or "2:05 p.m.": a local time of day as the page's language writes it."""
    return _time_words(get_language(), local.time().replace(microsecond=0))


def _when(moment: datetime, zone: tzinfo) -> str:
    local = moment.astimezone(zone)
    return pgettext("a day and a time", "%(day)s, %(time)s") % {
        "day": day_words(local.date()), "time": time_words(local)}


def timeline_days(data: TrackingPageData, zone: tzinfo) -> list[dict[str, Any]]:
    """Events newest first, grouped by the shopper's day. A late or repeated scan sits at its
    own time; the status above never moves back for it (tracking.statuses)."""
    days: list[dict[str, Any]] = []
    lang = get_language()
    names = _status_names(lang)
    for event in data.events:
        local = event.occurred_at.astimezone(zone)
        if not days or days[-1]["date"] != local.date():
            days.append({"date": local.date(), "label": _day_words(lang, local.date()),
                         "events": []})
        status = _status(event.status)
        days[-1]["events"].append({
            "time": _time_words(lang, local.time().replace(microsecond=0)),
            "iso": event.occurred_at.isoformat(), "words": names[status],
            "carrier_words": event.message, "where": event.location,
            "problem": status in PROBLEM})
    return days


@per_language(maxsize=16)
def _status_names(lang: str) -> dict[S, str]:
    """words.STATUS_NAMES in `lang` (the active language), translated once per process."""
    return {status: str(name) for status, name in words.STATUS_NAMES.items()}


def _items(data: TrackingPageData, lang: str) -> list[dict[str, Any]]:
    return [_item(item, lang) for item in data.items]


def _item(item: Item, lang: str) -> dict[str, Any]:
    shown: dict[str, Any] = (product_shown(item.product, lang) if item.product is not None
                             else NO_PRODUCT)
    image = item.product.image_url if item.product is not None else ""
    return {"title": shown["title"] or item.title, "quantity": item.quantity,
            "image_url": same_site(image),
            "url": shown["url"] if _web(shown["url"]) else "",
            "how_to": [{"kind": said(words.HOW_TO_KINDS.get(link["kind"], words.HOW_TO_KINDS["guide"])),
                        "title": link["title"], "url": link["url"]}
                       for link in shown["how_to"] if _web(link["url"])]}


def same_site(url: str) -> str:
    """An image the page may show: one served by this site (a path, or on PUBLIC_BASE_URL,
    taken as a path so it also loads on a custom domain). A picture on another host would be
    a request to a third party from the shopper's browser, which the page never makes."""
    if url.startswith(settings.PUBLIC_BASE_URL + "/"):
        url = url[len(settings.PUBLIC_BASE_URL):]
    return url if url.startswith("/") and not url.startswith("//") else ""


def _web(url: str) -> bool:
    return isinstance(url, str) and url.lower().startswith(("https://", "http://"))


def _parcels(data: TrackingPageData, lang: str) -> list[dict[str, Any]]:
    """The order's parcels when there is more than one: each with its own status."""
    if len(data.parcels) < 2:
        return []
    return [_parcel(parcel, index, data, lang) for index, parcel in enumerate(data.parcels, 1)]


def _parcel(parcel: Parcel, index: int, data: TrackingPageData, lang: str) -> dict[str, Any]:
    status = _status(parcel.status)
    late = parcel.delayed and status not in PROBLEM and status != S.DELIVERED
    return {"index": index, "current": parcel.shipment_id == data.shipment.pk,
            "url": f"/t/{parcel.public_token}/?lang={lang}",
            "carrier": parcel.carrier, "tracking_number": parcel.tracking_number,
            "status_name": said(words.DELAYED_HEADLINE if late else words.STATUS_NAMES[status]),
            "problem": status in PROBLEM or parcel.delayed or parcel.stalled,
            "eta": day_words(parcel.estimated_delivery)
            if parcel.estimated_delivery and status != S.DELIVERED else ""}


def _pick(product, lang: str) -> dict[str, Any]:
    pick = product_pick(product, lang)
    return {**pick, "id": product.pk, "image_url": same_site(pick["image_url"]),
            "price": formats.number_format(pick["price"], 2, use_l10n=True)}


def _help(brand: dict[str, Any]) -> dict[str, str] | None:
    found = {"url": brand["help_url"] if _web(brand["help_url"]) else "",
             "email": brand["support_email"], "phone": brand["support_phone"]}
    return found if any(found.values()) else None


def _apology(data: TrackingPageData, status: S) -> dict[str, str] | None:
    """The shop's own apology offer: on delayed parcels and parcels with a problem only."""
    page_settings = data.settings
    if not page_settings.has_apology:
        return None
    if not (data.shipment.delayed or status == S.EXCEPTION):
        return None
    return {"text": page_settings.apology_text, "code": page_settings.apology_code}


@lru_cache(maxsize=1)
def feedback_partial_exists() -> bool:
    """Whether the delivery rating form (tracking/public/_feedback.html) is installed."""
    try:
        get_template(FEEDBACK_TEMPLATE, using=ENGINE)
    except TemplateDoesNotExist:
        return False
    return True
