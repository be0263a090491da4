"""Saving template versions (checked, compiled once) and finding the one a message uses.

    template_version_save ─▶ template_source_check: every field parsed (syntax, unknown filters)
                             and rendered against a complete sample context with NamedUndefined
                             (misspelt variables), the e-mail body checked and compiled as MJML
                          ─▶ new TemplateVersion (number = last + 1 per template and locale)
    template_version_current(template, locale) ─▶ newest version in locale, else the tenant's
                             default locale, else "en"
"""

from __future__ import annotations

import re
import traceback
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from jinja2 import TemplateError, TemplateSyntaxError
from jinja2.exceptions import SecurityError, UndefinedError

from config import db
from config.errors import NotFound, ValidationFailed
from tenants.context import get_current_tenant, require_tenant

from . import limits
from .compile import SourceError, compile_email
from .context import sample_context
from .environment import check_env, check_text_env, send_env
from .locales import locale_chain
from .sms import sms_warning

LOCALE_PATTERN = re.compile(r"^[a-z]{2}(-[A-Z]{2})?$")
MILESTONE_FROM_KEY = re.compile(r"^(?P<milestone>[a-z_]+)-(email|sms)$")


@dataclass
class SourceCheck:
    errors: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    compiled_html: str = ""

    def add(self, problem: SourceError) -> None:
        self.errors.setdefault(problem.field, []).append(str(problem))


def _template_line(error: BaseException) -> int | None:
    """The template line a render error happened on (Jinja2 rewrites the traceback so the
    template's frames carry its own line numbers)."""
    line = None
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename == "<template>":
            line = frame.lineno
    return line


def _check_field(check: SourceCheck, name: str, source: str, sample: dict, *, html: bool) -> str | None:
    """Parse and sample-render one field; the rendered sample, or None after recording why not."""
    env = check_env if html else check_text_env
    if len(source) > limits.MAX_SOURCE:
        check.add(SourceError(name, None, f"This field is {len(source):,} characters long; a "
                                          f"template field can have at most {limits.MAX_SOURCE:,}."))
        return None
    try:
        template = env.from_string(source)
    except TemplateSyntaxError as error:
        check.add(SourceError(name, error.lineno, error.message or "syntax error"))
        return None
    except ValueError:  # Jinja's int() of a number literal past Python's 4,300 digits
        check.add(SourceError(name, None, "A number in the template has more than 4,300 digits."))
        return None
    try:
        return template.render(sample)
    except UndefinedError as error:
        check.add(SourceError(name, _template_line(error), str(error)))
    except SecurityError as error:
        check.add(SourceError(name, _template_line(error),
                              f"not allowed in templates ({error})"))
    except TemplateError as error:
        check.add(SourceError(name, _template_line(error), str(error)))
    except Exception as error:  # noqa: BLE001 - any failure on sample data is the retailer's to fix
        check.add(SourceError(name, _template_line(error), f"{type(error).__name__}: {error}"))
    return None


def template_source_check(channel: str, *, locale: str, subject: str = "", preheader: str = "",
                          body: str, text_body: str = "", sample: dict | None = None) -> SourceCheck:
    """Errors by field ("line 3: …"), warnings (SMS segments) and, for a clean e-mail, the
    compiled HTML. Usable by the editor's live preview without saving anything."""
    check = SourceCheck()
    if not body.strip():
        check.add(SourceError("body", None, "The message has no content."))
        return check
    sample = sample if sample is not None else sample_context(locale=locale)
    if channel == "sms":
        rendered = _check_field(check, "body", body, sample, html=False)
        if rendered is not None:
            warning = sms_warning(rendered.strip())
            if warning:
                check.warnings.append(f"With sample data: {warning}")
        return check
    if not subject.strip():
        check.add(SourceError("subject", None, "An e-mail needs a subject."))
    for name, source, html in (("subject", subject, False), ("preheader", preheader, False),
                               ("body", body, True), ("text_body", text_body, False)):
        if source:
            _check_field(check, name, source, sample, html=html)
    if "body" in check.errors:
        return check
    try:
        compiled = compile_email(body, locale=locale)
    except SourceError as error:
        check.add(error)
        return check
    try:
        send_env.parse(compiled)  # parse only: compiling 20 kB of template twice costs 15 ms
    except TemplateSyntaxError as error:  # the layout or the CSS step broke the Jinja2
        check.add(SourceError("body", None, f"the compiled e-mail is not valid: {error.message}"))
        return check
    check.compiled_html = compiled
    return check


def template_version_save(tenant, template, *, locale: str, subject: str, preheader: str,
                          body: str, text_body: str = "", actor=None,
                          restored_from: int | None = None):
    """A new version of `template` in `locale` (checked and, for e-mail, compiled here, once).
    Raises ValidationFailed with details {"body": ["line 3: …"], …}. The returned version
    carries `warnings` (a list of strings, e.g. SMS segments), not stored."""
    if template.tenant_id != tenant.pk:
        raise NotFound()
    if not LOCALE_PATTERN.match(locale or ""):
        raise ValidationFailed("Some fields are not valid.",
                               details={"locale": ['Use a language code like "en" or "de-AT".']})
    key = MILESTONE_FROM_KEY.match(template.key or "")
    sample = sample_context(tenant, locale=locale,
                            milestone=key.group("milestone") if key else "shipped",
                            brand=_brand(tenant))
    check = template_source_check(template.channel, locale=locale, subject=subject,
                                  preheader=preheader, body=body, text_body=text_body,
                                  sample=sample)
    if check.errors:
        raise ValidationFailed("The template has errors.", details=check.errors)
    version = version_create(tenant, template, locale=locale, subject=subject,
                             preheader=preheader, body=body, text_body=text_body,
                             compiled_html=check.compiled_html, actor=actor,
                             restored_from=restored_from)
    version.warnings = check.warnings
    return version


def version_create(tenant, template, *, locale: str, subject: str, preheader: str, body: str,
                   text_body: str, compiled_html: str, actor=None, restored_from: int | None = None):
    """Store a version already checked (and compiled, for e-mail): the next number for its
    template and locale, under a lock on the template so two saves never take the same one."""
    from messaging.models import Template, TemplateVersion

    is_sms = template.channel == "sms"
    require_tenant(tenant)
    with transaction.atomic():
        Template.objects.select_for_update().filter(pk=template.pk).update(updated_at=timezone.now())
        last = (TemplateVersion.objects.filter(template=template, locale=locale)
                .aggregate(last=Max("number"))["last"] or 0)
        version = TemplateVersion.objects.create(
            template=template, locale=locale, number=last + 1,
            subject="" if is_sms else subject, preheader="" if is_sms else preheader,
            body=body, text_body="" if is_sms else text_body,
            compiled_html="" if is_sms else compiled_html,
            compiled_at=None if is_sms else timezone.now(),
            created_by=actor, restored_from=restored_from,
        )
    version.template = template
    version.warnings = []
    return version


def _brand(tenant):
    from tenants.models import Brand

    return Brand.objects.first()


def template_version_current(template, locale: str | None):
    """The newest version in `locale`, else in its language ("de-AT" → "de"), else in the
    tenant's default locale, else in "en"; None when the template has none of those."""
    from messaging.models import TemplateVersion

    current = get_current_tenant()
    tenant = current if current is not None and current.pk == template.tenant_id else template.tenant
    for option in locale_chain(locale, tenant.default_locale):
        # The template names its tenant; compiled once (config.db): a dispatch batch asks
        # once per template and locale, the dashboard on every preview.
        for version in db.instances_where(
                TemplateVersion, template.tenant_id, {"template_id": template.pk,
                                                      "locale": option},
                order_by=("-number",), limit=1):
            version.template = template
            return version
    return None
