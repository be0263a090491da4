"""The templates every tenant starts with: one per default journey rule, in en, de, fr, es.

    email/<milestone>.mjml   the body's structure, made of email/_parts/<part>.mjml ([[@part]])
    copy/<locale>.toml       the words ([[word]]): [common], one table per milestone, [sms];
                             and the shopper pages' own: [topics], [preferences] (/u/…)

A tenant gets concrete MJML in its own language (no markers left), which it can then edit.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.db import IntegrityError, transaction

from tenants.context import require_tenant

HERE = Path(__file__).parent
DEFAULT_LOCALES = ("en", "de", "fr", "es")
EMAIL_MILESTONES = ("order_confirmed", "shipped", "out_for_delivery", "delivered", "delayed",
                    "exception", "available_for_pickup", "review_request", "upsell",
                    # a return's steps (returns.models.ReturnMilestone): its status page's button
                    "return_requested", "return_approved", "return_rejected",
                    "return_label_ready", "return_received", "refund_issued", "refund_delayed")
SMS_MILESTONES = ("out_for_delivery", "delivered", "delayed",
                  # a return's steps, each a line with its status page's link
                  "return_requested", "return_approved", "return_rejected",
                  "return_label_ready", "return_received", "refund_issued", "refund_delayed")
# These carry a recommendations block (shown only with marketing consent), so they get the
# List-Unsubscribe headers. The upsell e-mail is that block with a few words around it (no
# journey rule sends it until the retailer adds one: a second marketing e-mail after every
# delivery is their call).
MARKETING_MILESTONES = frozenset({"delivered", "review_request", "upsell"})

_PART = re.compile(r"\[\[@([a-z_]+)\]\]")
_WORD = re.compile(r"\[\[([a-z_]+)\]\]")


@dataclass(frozen=True)
class DefaultTemplate:
    key: str  # "shipped-email", "delivered-sms"
    channel: str
    milestone: str
    name: str  # in English: the dashboard's language
    has_marketing_content: bool


def default_templates() -> list[DefaultTemplate]:
    english = copy("en")
    return [DefaultTemplate(f"{m}-email", "email", m, f"{english[m]['name']} (e-mail)",
                            m in MARKETING_MILESTONES) for m in EMAIL_MILESTONES] + [
        DefaultTemplate(f"{m}-sms", "sms", m, f"{english[m]['name']} (SMS)", False)
        for m in SMS_MILESTONES]


@cache
def copy(locale: str) -> dict:
    return tomllib.loads((HERE / "copy" / f"{locale}.toml").read_text())


def default_content(milestone: str, channel: str, locale: str) -> dict[str, str]:
    """subject, preheader and body of a default template in `locale`."""
    words = copy(locale)
    if channel == "sms":
        return {"subject": "", "preheader": "", "body": words["sms"][milestone]}
    own = {**words["common"], **words[milestone]}
    source = (HERE / "email" / f"{milestone}.mjml").read_text()
    source = _PART.sub(lambda m: (HERE / "email" / "_parts" / f"{m.group(1)}.mjml").read_text(),
                       source)

    def word(match: re.Match) -> str:
        if match.group(1) not in own:
            raise KeyError(f"copy/{locale}.toml has no {match.group(1)!r} for {milestone}")
        return own[match.group(1)]

    return {"subject": own["subject"], "preheader": own["preheader"],
            "body": _WORD.sub(word, source)}


@cache
def _default_compiled(milestone: str, locale: str) -> str:
    """Our default sources are the same for every tenant: compile each once per process, not
    once per sign-up (a version still never compiles again after it is stored)."""
    from messaging.rendering.compile import compile_email

    return compile_email(default_content(milestone, "email", locale)["body"], locale=locale)


def default_email_html(milestone: str, locale: str, context: dict) -> str:
    """A default e-mail rendered with `context`, without a database (the packing dictionary,
    tests): compiled once per process, as for installing."""
    from types import SimpleNamespace

    from messaging.rendering.render import render_message

    content = default_content(milestone, "email", locale)
    version = SimpleNamespace(
        pk=None, locale=locale, template=SimpleNamespace(channel="email"), text_body="",
        subject=content["subject"], preheader=content["preheader"], body=content["body"],
        compiled_html=_default_compiled(milestone, locale))
    return render_message(version, context).html


def default_templates_install(tenant) -> dict:
    """The default templates, each with a first version per default locale; idempotent (a
    template or a locale the tenant already has is left as it is). Returns them by key.
    A new tenant gets them in two INSERTs; the compiled HTML is shared (see above)."""
    from django.utils import timezone

    from messaging.models import Template, TemplateVersion

    specs = default_templates()
    require_tenant(tenant)
    with transaction.atomic():
        installed = {t.key: t for t in Template.objects.filter(key__in=[s.key for s in specs])}
        missing = [spec for spec in specs if spec.key not in installed]
        if missing:
            try:
                with transaction.atomic():
                    created = Template.objects.bulk_create([Template(
                        tenant=tenant, key=spec.key, name=spec.name, channel=spec.channel,
                        has_marketing_content=spec.has_marketing_content) for spec in missing])
                installed.update({t.key: t for t in created})
            except IntegrityError:  # installed concurrently: take what is there now
                installed = {t.key: t for t in Template.objects.filter(
                    key__in=[s.key for s in specs])}
        have = set(TemplateVersion.objects.filter(template__in=list(installed.values()))
                   .values_list("template_id", "locale"))
        now = timezone.now()
        versions = []
        for spec in specs:
            template = installed[spec.key]
            for locale in DEFAULT_LOCALES:
                if (template.pk, locale) in have:
                    continue
                content = default_content(spec.milestone, spec.channel, locale)
                is_sms = spec.channel == "sms"
                # Our own sources pass the save-time check (the tests run it on every one).
                versions.append(TemplateVersion(
                    tenant=tenant, template=template, locale=locale, number=1,
                    subject="" if is_sms else content.get("subject", ""),
                    preheader="" if is_sms else content.get("preheader", ""),
                    body=content["body"], text_body="",
                    compiled_html="" if is_sms else _default_compiled(spec.milestone, locale),
                    compiled_at=None if is_sms else now))
        TemplateVersion.objects.bulk_create(versions, ignore_conflicts=True)
    return installed
