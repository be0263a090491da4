"""The journey editor: every journey with its rules (trigger, channel, template, delay,
conditions, quiet hours), switched on and off in place with htmx, and a form to add or change
a rule with the services' errors next to the fields they concern."""

from __future__ import annotations

from django.contrib import messages as flash
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from config.errors import ValidationFailed
from tenants.permissions import Perm
from tenants.views.base import DashboardRequest, can, dashboard_view, is_htmx, member_actor, with_flash

from .. import selectors, services
from ..journeys.triggers import TRIGGER_LABELS
from ..models import JourneyRule, Template
from .forms import RuleForm, field_for_error

MILESTONE_LABELS = TRIGGER_LABELS



def delay_words(minutes: int) -> str:
    if not minutes:
        return "At once"
    for size, unit in ((60 * 24, "day"), (60, "hour"), (1, "minute")):
        if minutes % size == 0:
            n = minutes // size
            return f"{n} {unit}{'s' if n != 1 else ''} later"
    return f"{minutes} minutes later"  # pragma: no cover - size 1 always divides


def conditions_words(conditions: dict) -> list[str]:
    """A rule's conditions as short phrases for the rules table."""
    words = []
    if kind := conditions.get("customer"):
        words.append({"first_time": "First-time customers", "repeat": "Repeat customers"}
                     .get(kind, kind))
    if "min_order_value" in conditions:
        words.append(f"Order ≥ {conditions['min_order_value']}")
    if "max_order_value" in conditions:
        words.append(f"Order ≤ {conditions['max_order_value']}")
    for key, label in (("categories", "Category"), ("tags", "Tag"), ("carriers", "Carrier"),
                       ("countries", "To")):
        if conditions.get(key):
            words.append(f"{label}: {', '.join(conditions[key])}")
    if conditions.get("marketing_consent"):
        words.append("Marketing consent")
    return words


def _decorate(rule: JourneyRule) -> JourneyRule:
    rule.trigger_label = MILESTONE_LABELS.get(rule.trigger, rule.trigger)
    rule.delay_words = delay_words(rule.delay_minutes)
    rule.condition_words = conditions_words(rule.conditions or {})
    return rule


@dashboard_view(Perm.JOURNEYS_VIEW)
def journey_list(request: DashboardRequest) -> HttpResponse:
    journeys = list(selectors.journey_list(request.tenant))
    for journey in journeys:
        for rule in journey.rules.all():
            _decorate(rule)
    return render(request, "messaging/dashboard/journeys.html", {
        "journeys": journeys, "can_manage": can(request, Perm.JOURNEYS_MANAGE),
        "nav_active": "journeys", "tab": "journeys",
    })


@require_POST
@dashboard_view(Perm.JOURNEYS_VIEW, manage=Perm.JOURNEYS_MANAGE)
def journey_toggle(request: DashboardRequest, journey_id: int) -> HttpResponse:
    journey = selectors.journey_get(request.tenant, journey_id)
    services.journey_update(request.tenant, journey.pk, enabled=not journey.enabled,
                            actor=member_actor(request))
    flash.success(request, f"“{journey.name}” is {'off' if journey.enabled else 'on'}.")
    return redirect("messaging:journeys")


def _rule_form_page(request: DashboardRequest, form: RuleForm, *, journey, rule=None,
                    status: int = 200) -> HttpResponse:
    return render(request, "messaging/dashboard/rule_form.html", {
        "form": form, "journey": journey, "rule": rule, "nav_active": "journeys",
        "tab": "journeys"}, status=status)


def _save_rule(request: DashboardRequest, form: RuleForm, save) -> bool:
    """Run the service; its field errors go next to the fields (`conditions.tags` → tags)."""
    try:
        save(form.rule_values())
    except ValidationFailed as exc:
        placed = False
        for key, problems in exc.details.items():
            field = field_for_error(key)
            if field == "template_id":
                field = "template"
            if field in form.fields:
                for problem in problems:
                    form.add_error(field, problem)
                placed = True
        if not placed:
            form.add_error(None, exc.message)
        return False
    return True


def _templates(request: DashboardRequest) -> list[Template]:
    return list(Template.objects.order_by("name", "pk"))


@dashboard_view(Perm.JOURNEYS_VIEW, manage=Perm.JOURNEYS_MANAGE)
def rule_create(request: DashboardRequest, journey_id: int) -> HttpResponse:
    journey = selectors.journey_get(request.tenant, journey_id)
    form = RuleForm(request.POST or None, templates=_templates(request))
    if request.method == "POST" and form.is_valid():
        def create(values: dict) -> None:
            if values["quiet_hours_start"] is None and values["quiet_hours_end"] is None:
                # Blank on a new rule: the channel's default (SMS waits out the night).
                del values["quiet_hours_start"], values["quiet_hours_end"]
            services.journey_rule_create(request.tenant, journey.pk, actor=member_actor(request),
                                         **values)

        if _save_rule(request, form, create):
            flash.success(request, f"Rule “{form.cleaned_data['name']}” added.")
            return redirect("messaging:journeys")
    return _rule_form_page(request, form, journey=journey,
                           status=400 if request.method == "POST" else 200)


@dashboard_view(Perm.JOURNEYS_VIEW, manage=Perm.JOURNEYS_MANAGE)
def rule_edit(request: DashboardRequest, rule_id: int) -> HttpResponse:
    rule = selectors.journey_rule_get(request.tenant, rule_id)
    form = RuleForm(request.POST or None, initial=RuleForm.initial_for(rule),
                    templates=_templates(request))
    if request.method == "POST" and form.is_valid():
        def update(values: dict) -> None:
            services.journey_rule_update(request.tenant, rule.pk, actor=member_actor(request),
                                         **values)

        if _save_rule(request, form, update):
            flash.success(request, f"Rule “{form.cleaned_data['name']}” saved.")
            return redirect("messaging:journeys")
    return _rule_form_page(request, form, journey=rule.journey, rule=rule,
                           status=400 if request.method == "POST" else 200)


@require_POST
@dashboard_view(Perm.JOURNEYS_VIEW, manage=Perm.JOURNEYS_MANAGE)
def rule_toggle(request: DashboardRequest, rule_id: int) -> HttpResponse:
    """htmx: flip the switch and answer with the rule's row (a plain POST goes back)."""
    rule = selectors.journey_rule_get(request.tenant, rule_id)
    enabled = request.POST.get("enabled") == "on"
    services.journey_rule_set_enabled(request.tenant, rule.pk, enabled, actor=member_actor(request))
    rule = selectors.journey_rule_get(request.tenant, rule.pk)
    words = f"“{rule.name}” is {'on' if enabled else 'off'}."
    if not is_htmx(request):
        flash.success(request, words)
        return redirect("messaging:journeys")
    response = render(request, "messaging/dashboard/_rule_row.html",
                      {"rule": _decorate(rule), "can_manage": True})
    return with_flash(response, request, words)


@require_POST
@dashboard_view(Perm.JOURNEYS_VIEW, manage=Perm.JOURNEYS_MANAGE)
def rule_delete(request: DashboardRequest, rule_id: int) -> HttpResponse:
    rule = selectors.journey_rule_get(request.tenant, rule_id)
    services.journey_rule_delete(request.tenant, rule.pk, actor=member_actor(request))
    flash.success(request, f"Rule “{rule.name}” deleted.")
    return redirect("messaging:journeys")
