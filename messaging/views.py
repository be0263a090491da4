"""Shopper-facing message links: the open pixel, the click redirect, the preferences page and
RFC 8058 one-click unsubscribe. The signed token (links.py) is the only authority: it names the
tenant, which is put in scope here (public-token resolution) before anything is read, and the
message is then looked up in that tenant only.

Opens are recorded at most once per message and hour, clicks once per message, link and
minute (MessageEvent ids "open:<id>:<hour>", "click:<id>:<index>:<minute>"): a reload, a
preview pane or a link scanner's burst is one event, while repeated engagement over days still
shows. The first open and click also set `opened_at`/`clicked_at` and move the status forward.
"""

from __future__ import annotations

import base64
from urllib.parse import urlsplit

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from config.csp import HEADER as CSP_HEADER
from config.csp import shopper_policy
from config.ratelimit import budget_spent
from config.utm import utm_added
from config.views import shopper_page
from orders.models import ConsentSource, Customer
from recommendations.models import Surface
from recommendations.selectors import recommendation_shown_for_link
from recommendations.services import recommendation_click_record
from tenants.context import activate_tenant
from tenants.models import Tenant
from tenants.rls import cross_tenant
from tenants.selectors import readable_on
from tenants.services import brand_get

from .links import InvalidLinkToken, preferences_url, token_load
from .models import Channel, JourneyRule, Message, MessagePreference, Suppression
from .rendering.defaults import copy
from .rendering.locales import shopper_locale
from .webhooks import effects

# A transparent 1×1 GIF.
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
NO_CACHE = "no-cache, no-store, must-revalidate, private, max-age=0"


def message_for_token(kind: str, token: str, *, activate: bool = True
                      ) -> tuple[Message, int | None]:
    """The token's message, looked up in the token's tenant only; 404 for anything else.

    The tenant is put in scope only once the message is found (and, with `activate=False`,
    left to the caller after its own checks): a 404 page rendered for a signed-in member of
    another store must not run inside the token's tenant."""
    try:
        tenant_id, message_id, extra = token_load(kind, token)
    except InvalidLinkToken:
        raise Http404("invalid link") from None
    with cross_tenant("public link: the signed token names the tenant"):
        message = (Message.objects.unscoped(reason="public link: the signed token names the tenant")
                   .filter(tenant_id=tenant_id, tenant__status=Tenant.Status.ACTIVE, pk=message_id)
                   .select_related("customer", "tenant").first())
    if message is None:
        raise Http404("invalid link")
    if activate:
        activate_tenant(message.tenant)
    return message, extra


def _no_cache(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = NO_CACHE
    response["Pragma"] = "no-cache"
    response["Expires"] = "0"
    return response


@shopper_page
@require_GET
def open_pixel(request, token: str):
    """Always the image, whatever the token: a mail client shows no broken picture, and a
    forged token learns nothing. Only a valid one records an open."""
    try:
        message, _ = message_for_token("open", token)
    except Http404:
        message = None
    if message is not None and request.method == "GET" and not budget_spent(
            f"link-events:{message.pk}", settings.MESSAGE_LINK_EVENTS_PER_MINUTE, 60):
        now = timezone.now()
        if effects.message_event_record(
                message.tenant, message_id=message.pk, kind="open", source="pixel",
                occurred_at=now, provider_event_id=f"open:{message.pk}:{now:%Y%m%d%H}",
                data={"user_agent": request.headers.get("User-Agent", "")[:300]}):
            effects.message_status_advance(message.tenant, message.pk, Message.Status.OPENED,
                                           at=now)
    return _no_cache(HttpResponse(PIXEL, content_type="image/gif"))


def with_utm(url: str, message: Message) -> str:
    """The message's link with utm_source/medium/campaign (config.utm)."""
    return utm_added(url, {"utm_source": "doorstep", "utm_medium": message.channel,
                           "utm_campaign": message.milestone})


@shopper_page
@require_GET
def click_redirect(request, token: str):
    """Only to a URL that was in the message: the token names an index into `links`."""
    message, index = message_for_token("click", token, activate=False)
    links = message.links if isinstance(message.links, list) else []
    url = links[index] if index is not None and 0 <= index < len(links) else None
    if not isinstance(url, str) or urlsplit(url).scheme.lower() not in ("http", "https"):
        raise Http404("invalid link")
    activate_tenant(message.tenant)
    now = timezone.now()
    if not budget_spent(f"link-events:{message.pk}", settings.MESSAGE_LINK_EVENTS_PER_MINUTE,
                        60) and effects.message_event_record(
            message.tenant, message_id=message.pk, kind="click", source="redirect",
            occurred_at=now, provider_event_id=f"click:{message.pk}:{index}:{now:%Y%m%d%H%M}",
            data={"url": url, "index": index}):
        effects.message_status_advance(message.tenant, message.pk, Message.Status.CLICKED, at=now)
    _recommendation_click(message, url, now)
    return _no_cache(HttpResponseRedirect(with_utm(url, message)))


def _recommendation_click(message: Message, url: str, now) -> None:
    """A click on a recommended product the message showed: recorded for attribution with the
    product and the placement (the message's milestone), once per message, product and
    minute."""
    shown = recommendation_shown_for_link(Surface.EMAIL, str(message.pk), url)
    if shown is not None:
        recommendation_click_record(
            message.tenant, product_id=shown.product_id, surface=Surface.EMAIL,
            milestone=message.milestone[:32], reference=str(message.pk), clicked_at=now,
            order_id=shown.order_id, customer_id=shown.customer_id)


# What the page offers when the store has no journey rules yet: the default journey's.
DEFAULT_TOPICS = [
    ("order_confirmed", ["email"]), ("shipped", ["email"]),
    ("out_for_delivery", ["email", "sms"]), ("available_for_pickup", ["email"]),
    ("delivered", ["email", "sms"]), ("delayed", ["email", "sms"]), ("exception", ["email"]),
    ("review_request", ["email"]),
]
MARKETING = (("marketing_email", Channel.EMAIL), ("marketing_sms", Channel.SMS))


def _topics() -> list[tuple[str, list[str]]]:
    """The milestones (and their channels) the store's enabled journeys message about."""
    topics: dict[str, list[str]] = {}
    for trigger, channel in (JourneyRule.objects.filter(enabled=True, journey__enabled=True)
                             .order_by("journey_id", "position").values_list("trigger", "channel")):
        channels = topics.setdefault(trigger, [])
        if channel not in channels:
            channels.append(channel)
    return list(topics.items()) or DEFAULT_TOPICS


def _reachable(customer: Customer) -> set[str]:
    return {c for c, has in ((Channel.EMAIL, customer.email), (Channel.SMS, customer.phone)) if has}


def _choices(customer: Customer) -> dict[tuple[str, str], bool]:
    return {(p.milestone, p.channel): p.enabled
            for p in MessagePreference.objects.filter(customer=customer)}


def page_words(locale: str) -> dict[str, str]:
    """The preferences page's words in `locale` (copy/<locale>.toml), English for any missing."""
    return {**copy("en")["preferences"], **copy(locale)["preferences"]}


def preferences_context(message: Message) -> dict:
    """The page in the shopper's language: the message's, else the shopper's, else the
    store's."""
    tenant, customer = message.tenant, message.customer
    brand = brand_get(tenant)
    locale = shopper_locale(message.locale or (customer.locale if customer else "")
                            or tenant.default_locale)
    shop_name = brand.sender_name or tenant.name
    words = page_words(locale)
    words.update(intro=words["intro"].format(shop=shop_name),
                 stop_heading=words["stop_heading"].format(address=message.recipient),
                 sms_stopped=words["sms_stopped"].format(
                     number=brand.sms_sender or words["our_number"]))
    context = {"shop": tenant, "brand": brand, "shop_name": shop_name, "customer": customer,
               "address": message.recipient, "locale": locale, "words": words,
               # Text on the brand colour: dark on a light brand, white on a dark one.
               "on_primary": readable_on(brand.primary_color)}
    if customer is None:
        return context
    reachable, chosen = _reachable(customer), _choices(customer)
    channels = [c for c in (Channel.EMAIL, Channel.SMS) if c in reachable]
    topics = {**copy("en")["topics"], **copy(locale)["topics"]}
    context["channels"] = [words[c] for c in channels]
    context["rows"] = []
    for milestone, offered in _topics():
        if not set(offered) & reachable:
            continue
        label = topics.get(milestone, milestone.replace("_", " ").capitalize())
        context["rows"].append({"label": label, "cells": [{
            "name": f"pref:{milestone}:{c}", "on": chosen.get((milestone, c), True),
            "offered": c in offered, "label": words["by"].format(topic=label, channel=words[c]),
            "not_sent": words["not_sent_by"].format(channel=words[c])} for c in channels]})
    context["marketing"] = [{"name": purpose, "label": words[purpose],
                             "on": customer.has_consent(purpose)}
                            for purpose, channel in MARKETING if channel in reachable]
    context["sms_stopped"] = bool(customer.phone) and Suppression.objects.filter(
        channel=Channel.SMS, address=customer.phone, reason=Suppression.Reason.SMS_STOP).exists()
    return context


def preferences_save(message: Message, data) -> None:
    """Write what differs from the current choice (no row means "send"); consent changes carry
    the preference page as their source."""
    tenant, customer = message.tenant, message.customer
    if customer is None:
        # A message to an address we hold no shopper for: all it can offer is to stop.
        if "stop_all" in data:
            effects.suppression_add(tenant, channel=message.channel, address=message.recipient,
                                    reason=Suppression.Reason.UNSUBSCRIBED,
                                    source=ConsentSource.PREFERENCE_PAGE)
        return
    this_customer = Customer.objects.filter(pk=customer.pk)
    if "unsubscribe_marketing" in data:
        effects.consent_set(tenant, this_customer, ["marketing_email", "marketing_sms"], False,
                            source=ConsentSource.PREFERENCE_PAGE)
        return
    reachable, chosen = _reachable(customer), _choices(customer)
    for milestone, offered in _topics():
        for channel in set(offered) & reachable:
            enabled = f"pref:{milestone}:{channel}" in data
            if chosen.get((milestone, channel), True) != enabled:
                MessagePreference.objects.update_or_create(
                    tenant=tenant, customer=customer, milestone=milestone, channel=channel,
                    defaults={"enabled": enabled})
    for purpose, channel in MARKETING:
        if channel in reachable:
            effects.consent_set(tenant, this_customer, [purpose], purpose in data,
                                source=ConsentSource.PREFERENCE_PAGE)


def unsubscribe_one_click(message: Message) -> None:
    """Marketing e-mail off for the shoppers with this address; with none known, the address
    goes on the suppression list, the only way left to honour the request."""
    tenant, now = message.tenant, timezone.now()
    address = message.recipient if message.channel == Channel.EMAIL else (
        message.customer.email if message.customer else "")
    effects.message_event_record(
        tenant, message_id=message.pk, kind="unsubscribe", source="one_click", occurred_at=now,
        provider_event_id=f"one-click:{message.pk}:{now:%Y%m%d%H%M}")
    if effects.customers_for_address(tenant, Channel.EMAIL, address,
                                     customer_id=message.customer_id).exists():
        effects.marketing_email_withdraw(tenant, address=address,
                                         customer_id=message.customer_id)
    else:
        effects.suppression_add(tenant, channel=Channel.EMAIL, address=address,
                                reason=Suppression.Reason.UNSUBSCRIBED, source="one_click")


def _preferences_page(request, message: Message):
    # The form always posts to the preferences URL: the one-click URL (CSRF-exempt, for
    # mailbox providers) shows the same page on GET but only takes RFC 8058 bodies.
    action = urlsplit(preferences_url(message)).path
    if request.method == "POST":
        preferences_save(message, request.POST)
        return redirect(f"{action}?saved=1")
    context = preferences_context(message)
    context["action"] = action
    context["saved"] = request.GET.get("saved") == "1"
    response = render(request, "messaging/public/preferences.html", context)
    response["Cache-Control"] = NO_CACHE
    response["X-Robots-Tag"] = "noindex"
    response[CSP_HEADER] = shopper_policy(response.content)  # a shopper's page: no script
    return response


def _changes_spent(message: Message) -> float | None:
    return budget_spent(f"preference-changes:{message.pk}", settings.PREFERENCES_CHANGES_PER_HOUR,
                        3600)


def _too_many(wait: float) -> HttpResponse:
    minutes = max(1, round(wait / 60))
    response = HttpResponse(
        f"Too many changes from this link. Please try again in {minutes} minute"
        f"{'s' if minutes != 1 else ''}.", status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(int(wait))
    return response


@shopper_page
@require_http_methods(["GET", "POST"])
def preferences(request, token: str):
    """GET shows the choices and never changes anything; POST (the form, CSRF-protected) saves."""
    message, _ = message_for_token("prefs", token)
    if request.method == "POST":
        wait = _changes_spent(message)
        if wait:
            return _too_many(wait)
    return _preferences_page(request, message)


@shopper_page
@csrf_exempt
@require_http_methods(["GET", "POST"])
def one_click_unsubscribe(request, token: str):
    """RFC 8058: a mailbox provider POSTs `List-Unsubscribe=One-Click` (form-encoded or
    multipart) with no cookies: unsubscribe from marketing e-mail and answer 200, never a
    redirect. A GET is a person or a link scanner: show the preferences, change nothing."""
    message, _ = message_for_token("unsub", token)
    if request.method == "GET":
        return _preferences_page(request, message)
    wait = _changes_spent(message)
    if wait:
        return _too_many(wait)
    if request.POST.get("List-Unsubscribe") != "One-Click":
        return HttpResponse("Expected List-Unsubscribe=One-Click.", status=400,
                            content_type="text/plain; charset=utf-8")
    unsubscribe_one_click(message)
    return HttpResponse("You are unsubscribed from marketing e-mail.",
                        content_type="text/plain; charset=utf-8")

