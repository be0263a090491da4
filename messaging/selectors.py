"""Reads of messages, journeys and templates that the API and the dashboard share, prefetched
so a page of results costs a fixed number of queries however long it is.

Filters are keyword arguments applied only when given (`None` means "any").
"""

from __future__ import annotations

from typing import TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Lower
from django.http import Http404

from tenants.access import access_scoped
from tenants.models import Tenant

from .models import Journey, JourneyRule, Message, MessageEvent, Template, TemplateVersion

M = TypeVar("M", bound=Model)


def _events(tenant: Tenant) -> Prefetch:
    return Prefetch("events", MessageEvent.objects.all()
                    .order_by("occurred_at", "pk"))


def message_list(tenant: Tenant, *, order_number: str | None = None,
                 order_id: int | None = None, shipment_id: int | None = None,
                 milestone: str | None = None, channel: str | None = None,
                 status: str | None = None, recipient: str | None = None,
                 with_events: bool = True) -> QuerySet[Message]:
    """Messages with their order, template version and (for the API) provider events: two
    queries per page. The dashboard's log leaves the events and bodies out."""
    qs = Message.objects.select_related("order", "template_version")
    if with_events:
        qs = qs.prefetch_related(_events(tenant))
    if order_number:
        qs = qs.filter(order__number=order_number.strip())
    if order_id is not None:
        qs = qs.filter(order_id=order_id)
    if shipment_id is not None:
        qs = qs.filter(shipment_id=shipment_id)
    if milestone:
        qs = qs.filter(milestone=milestone)
    if channel:
        qs = qs.filter(channel=channel)
    if status:
        qs = qs.filter(status=status)
    if recipient:
        # Addresses are stored as sent: e-mail lower-cased, phones in E.164; match either.
        value = recipient.strip()
        qs = qs.filter(recipient__in={value, value.lower()})
    return qs


def _one(queryset: QuerySet[M], pk: object) -> M:
    """One row by id in one read, in the tenant's scope (the scoped manager filters by it):
    404 alike for missing and another tenant's, and for a row a concurrent request deleted
    (a check, then a second read, answered such a race with a 500)."""
    try:
        return queryset.get(pk=pk)
    except (ObjectDoesNotExist, ValueError, TypeError):
        raise Http404(f"{queryset.model._meta.verbose_name} not found") from None


def message_get(tenant: Tenant, message_id: object) -> Message:
    """One message with its events; 404 alike for missing and another tenant's."""
    return _one(Message.objects
                .select_related("order", "shipment", "customer", "template_version", "rule")
                .prefetch_related(_events(tenant)), message_id)


def _rules(tenant: Tenant) -> Prefetch:
    return Prefetch("rules", JourneyRule.objects.all()
                    .select_related("template").order_by("position", "pk"))


def journey_list(tenant: Tenant) -> QuerySet[Journey]:
    """Journeys with their rules and each rule's template (two queries)."""
    return (Journey.objects.prefetch_related(_rules(tenant))
            .order_by("-is_default", "name", "pk"))


def journey_get(tenant: Tenant, journey_id: object) -> Journey:
    return _one(journey_list(tenant), journey_id)


def journey_rule_get(tenant: Tenant, rule_id: object) -> JourneyRule:
    return _one(JourneyRule.objects.select_related("template", "journey"), rule_id)


def _current_versions(tenant: Tenant) -> Prefetch:
    """Each template's newest version per locale, in one query: the highest number of its
    (template, locale) pair, found by a correlated subquery on the unique index."""
    newest = (TemplateVersion.objects.filter(template=OuterRef("template"),
                                             locale=OuterRef("locale"))
              .order_by("-number").values("number")[:1])
    return Prefetch("versions", TemplateVersion.objects.all()
                    .filter(number=Subquery(newest)).select_related("created_by")
                    .order_by("locale"),
                    to_attr="current_versions")


def template_list(tenant: Tenant, *, channel: str | None = None,
                  key: str | None = None) -> QuerySet[Template]:
    """Templates with their current version in every locale (two queries)."""
    qs = (Template.objects.prefetch_related(_current_versions(tenant))
          .order_by(Lower("name"), "pk"))
    if channel:
        qs = qs.filter(channel=channel)
    if key:
        qs = qs.filter(key=key)
    return qs


def template_get(tenant: Tenant, template_id: object) -> Template:
    return _one(template_list(tenant), template_id)


def template_versions(tenant: Tenant, template_id: int, *,
                      locale: str | None = None) -> QuerySet[TemplateVersion]:
    """A template's history, newest first, with who saved each version."""
    qs = (TemplateVersion.objects.filter(template_id=template_id)
          .select_related("created_by").order_by("locale", "-number"))
    if locale:
        qs = qs.filter(locale=locale)
    return qs


def template_version_get(tenant: Tenant, template_id: int, version_id: object) -> TemplateVersion:
    return access_scoped(TemplateVersion, tenant, version_id, template_id=template_id)
