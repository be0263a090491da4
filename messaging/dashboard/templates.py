"""The template editor: one page per template and locale.

    edit subject / preheader / body ──htmx (typing pauses)──▶ preview: rendered with sample data
         │                                                    or a real order, shown in iframes
         │                                                    (desktop and phone widths; the
         │                                                    e-mail served by frames.py); SMS:
         │                                                    segment counter and warning
         ├─ Save ─▶ rendering.template_version_save ─▶ a new version (errors with their line)
         ├─ Send me a test ─▶ the tenant's e-mail transport, to the signed-in person only
         └─ history ─▶ Restore: a new version copying an old one

"Send me a test" is not a journey message: no Message row is stored (nothing enters the
outbox, no dedup key, no shopper), and the subject says it is a test.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages as flash
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from config.errors import ApplicationError, ValidationFailed
from orders import selectors as order_selectors
from tenants.permissions import Perm
from tenants.services import brand_get
from tenants.views.base import DashboardRequest, can, dashboard_view, flash_fragment
from tracking import selectors as tracking_selectors
from tracking.statuses import Milestone

from .. import selectors
from ..journeys.triggers import TRIGGERS
from ..models import Channel, JourneyRule, Message, Template, TemplateVersion
from ..providers import email_transport_for
from ..rendering import (
    context_for,
    render_message,
    sample_context,
    sms_segments,
    sms_warning,
    template_source_check,
    template_version_current,
    template_version_save,
)
from ..rendering.limits import TemplateTooCostly
from .forms import PreviewSourceForm, TemplateDraftForm
from .frames import preview_frame_store

LOCALES = [code for code, _ in settings.LANGUAGES]
PREVIEW_ORDERS = 25  # the newest orders offered as real preview data


def _locale(request: DashboardRequest, tenant) -> str:
    asked = request.GET.get("locale") or request.POST.get("locale") or tenant.default_locale
    return asked if asked in LOCALES else tenant.default_locale


def _default_milestone(template: Template) -> str:
    """The milestone the template is used for (its first rule's trigger), for previews."""
    trigger = (JourneyRule.objects.filter(template=template)
               .order_by("position", "pk").values_list("trigger", flat=True).first())
    if trigger:
        return trigger
    for value in sorted(TRIGGERS, key=len, reverse=True):
        if template.key.replace("-", "_").startswith(value):
            return value
    return Milestone.SHIPPED


def _recent_orders(tenant) -> list:
    return list(order_selectors.order_list(tenant).select_related("customer")
                .order_by("-placed_at", "-pk")[:PREVIEW_ORDERS])


@dashboard_view(Perm.JOURNEYS_VIEW)
def template_list(request: DashboardRequest) -> HttpResponse:
    templates = list(selectors.template_list(request.tenant))
    for template in templates:
        template.by_locale = {v.locale: v for v in template.current_versions}
    return render(request, "messaging/dashboard/templates.html", {
        "templates": templates, "locales": LOCALES, "nav_active": "journeys", "tab": "templates",
    })


def _draft_version(template: Template, locale: str, draft: dict) -> TemplateVersion:
    """An unsaved version holding the draft: previews render exactly what Save would save."""
    return TemplateVersion(tenant_id=template.tenant_id, template=template, locale=locale,
                           number=0, **draft)


def _context(request: DashboardRequest, template: Template, locale: str, source: PreviewSourceForm):
    """Sample data, or the chosen real order (with its newest shipment) of this store."""
    data = source.cleaned_data if source.is_valid() else {}
    milestone = data.get("milestone") or _default_milestone(template)
    if data.get("order"):
        order = order_selectors.order_get(request.tenant, data["order"])  # 404 if not ours
        shipments = tracking_selectors.shipments_for_order(request.tenant, order.pk)
        context = context_for(request.tenant, milestone=milestone, order=order,
                                        shipment=shipments[-1] if shipments else None,
                                        customer=order.customer,
                                        include_marketing=template.has_marketing_content)
        context["locale"] = locale
        return context
    # The store's own brand (logo, colours), as its shoppers will see it.
    return sample_context(request.tenant, locale=locale, milestone=milestone,
                          brand=brand_get(request.tenant))


def _render_draft(request: DashboardRequest, template: Template, form: TemplateDraftForm,
                  source: PreviewSourceForm):
    """Render the posted draft with the same check Save runs (so the preview shows the error
    and its line that Save would refuse), against the chosen data; raises ValidationFailed."""
    locale, draft = form.cleaned_data["locale"], form.draft()
    context = _context(request, template, locale, source)
    check = template_source_check(template.channel, locale=locale, sample=context, **draft)
    if check.errors:
        raise ValidationFailed("The template has errors.", details=check.errors)
    version = _draft_version(template, locale, draft)
    version.compiled_html = check.compiled_html  # compiled by the check: not twice
    try:
        return render_message(version, context)
    except TemplateTooCostly as exc:  # past a limit with this order's data (limits.py)
        raise ValidationFailed("The template has errors.", details={"body": [str(exc)]}) from None
    except Exception as exc:  # noqa: BLE001 - real data can fail where the sample did not
        raise ValidationFailed("The template has errors.", details={
            "body": [f"{type(exc).__name__}: {exc}"]}) from None


def _errors(exc: ValidationFailed) -> list[tuple[str, str]]:
    return [(field, problem) for field, problems in (exc.details or {}).items()
            for problem in (problems if isinstance(problems, list) else [problems])] or [
        ("", exc.message)]


@dashboard_view(Perm.JOURNEYS_VIEW, manage=Perm.JOURNEYS_MANAGE)
def template_edit(request: DashboardRequest, template_id: int) -> HttpResponse:
    template = selectors.template_get(request.tenant, template_id)
    locale = _locale(request, request.tenant)
    current = template_version_current(template, locale)
    exact = current if current is not None and current.locale == locale else None
    if request.method == "POST":
        form = TemplateDraftForm(request.POST, channel=template.channel)
        if form.is_valid():
            try:
                version = template_version_save(
                    request.tenant, template, locale=form.cleaned_data["locale"],
                    actor=request.user, **form.draft())
            except ValidationFailed as exc:
                for field, problem in _errors(exc):
                    form.add_error(field if field in form.fields else None, problem)
            else:
                flash.success(request, f"Saved as version {version.number} "
                                       f"({version.locale}). New messages use it from now on.")
                return redirect(f"{reverse('messaging:template', args=[template.pk])}"
                                f"?locale={version.locale}")
        status = 400
    else:
        source = current or exact
        form = TemplateDraftForm(initial={
            "locale": locale, **({"subject": source.subject, "preheader": source.preheader,
                                  "body": source.body, "text_body": source.text_body}
                                 if source else {})}, channel=template.channel)
        status = 200
    history = list(selectors.template_versions(request.tenant, template.pk, locale=locale)[:50])
    present = set(TemplateVersion.objects.filter(template=template)
                  .values_list("locale", flat=True).distinct())
    return render(request, "messaging/dashboard/template_edit.html", {
        "template": template, "locale": locale, "form": form, "current": exact,
        "fallback": current if exact is None else None,
        "source_form": PreviewSourceForm(initial={"milestone": _default_milestone(template)},
                                         orders=_recent_orders(request.tenant)),
        "history": history, "locales": [(code, code in present) for code in LOCALES],
        "can_manage": can(request, Perm.JOURNEYS_MANAGE), "is_sms": template.channel == Channel.SMS,
        "nav_active": "journeys", "tab": "templates",
    }, status=status)


@require_POST
@dashboard_view(Perm.JOURNEYS_VIEW)
def template_preview(request: DashboardRequest, template_id: int) -> HttpResponse:
    """htmx: the draft as it would look; viewers may preview too (it changes nothing)."""
    template = selectors.template_get(request.tenant, template_id)
    form = TemplateDraftForm(request.POST, channel=template.channel)
    source = PreviewSourceForm(request.POST, orders=_recent_orders(request.tenant))
    context: dict = {"template": template, "is_sms": template.channel == Channel.SMS}
    if not form.is_valid():
        context["errors"] = [(field, e) for field, problems in form.errors.items()
                             for e in problems]
    else:
        try:
            rendered = _render_draft(request, template, form, source)
        except ValidationFailed as exc:
            context["errors"] = _errors(exc)
        else:
            context["rendered"] = rendered
            if template.channel != Channel.SMS:  # its frames fetch it (frames.py)
                context["frame_key"] = preview_frame_store(request.tenant, request.user,
                                                           rendered.html)
            if template.channel == Channel.SMS:
                context["segments"] = sms_segments(rendered.text)
                context["sms_warning"] = sms_warning(rendered.text)
    return render(request, "messaging/dashboard/_preview.html", context)


@require_POST
@dashboard_view(Perm.JOURNEYS_VIEW, manage=Perm.JOURNEYS_MANAGE)
def template_test_send(request: DashboardRequest, template_id: int) -> HttpResponse:
    """Render the draft and e-mail it to the signed-in person through the store's own e-mail
    transport (so a test shows the real sender). An SMS template is e-mailed as its text."""
    template = selectors.template_get(request.tenant, template_id)
    form = TemplateDraftForm(request.POST, channel=template.channel)
    source = PreviewSourceForm(request.POST, orders=_recent_orders(request.tenant))
    if not form.is_valid():
        return flash_fragment(request, "Fix the template first: " + "; ".join(
            f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
    try:
        rendered = _render_draft(request, template, form, source)
    except ValidationFailed as exc:
        return flash_fragment(request, "Fix the template first: " + "; ".join(
            f"{field}: {problem}" if field else problem for field, problem in _errors(exc)))
    is_sms = template.channel == Channel.SMS
    # Unsaved on purpose: a Message instance is the transport's interface, but this test is
    # no journey message (no outbox row, no dedup key, no shopper's record).
    test = Message(
        tenant=request.tenant, channel=Channel.EMAIL, milestone="test",
        recipient=request.user.email, dedup_key="", status=Message.Status.SENDING,
        locale=form.cleaned_data["locale"],
        subject=f"[Test] {rendered.subject if not is_sms else template.name + ' (SMS text)'}"[:300],
        preheader="" if is_sms else rendered.preheader,
        html_body="" if is_sms else rendered.html, text_body=rendered.text,
        links=list(rendered.links))
    transport = email_transport_for(request.tenant)
    try:
        transport.send(test)
    except Exception as exc:  # noqa: BLE001 - any provider failure is said, not a 500
        message = getattr(exc, "reason", None) or str(exc) or type(exc).__name__
        return flash_fragment(request, f"The test could not be sent: {message}")
    if transport.name == "outbox":
        return flash_fragment(request, "Test rendered and handed to the dev outbox: no e-mail "
                                       "provider is connected, so nothing left this machine.",
                              level="info")
    return flash_fragment(request, f"Test sent to {request.user.email}. It is not recorded "
                                   "as a message to a shopper.", level="success")


@require_POST
@dashboard_view(Perm.JOURNEYS_VIEW, manage=Perm.JOURNEYS_MANAGE)
def template_restore(request: DashboardRequest, template_id: int, version_id: int) -> HttpResponse:
    """A new version copying an old one: history only grows, and messages keep pointing at
    the version they used."""
    template = selectors.template_get(request.tenant, template_id)
    old = selectors.template_version_get(request.tenant, template.pk, version_id)
    try:
        version = template_version_save(
            request.tenant, template, locale=old.locale, subject=old.subject,
            preheader=old.preheader, body=old.body, text_body=old.text_body,
            actor=request.user, restored_from=old.number)
    except ApplicationError as exc:
        flash.error(request, f"Version {old.number} could not be restored: {exc.message}")
    else:
        flash.success(request, f"Version {old.number} restored as version {version.number}.")
    return redirect(f"{reverse('messaging:template', args=[template.pk])}?locale={old.locale}")
