"""The claim-time half of sending: a batch of due messages checked and rendered together, so
a send task only has to hand finished content to the provider.

    claimed batch ─▶ journeys.messages_block_reasons (suppression list, consent, preferences,
        │              relevance: about eight queries for the batch) ── reason ─▶ suppressed
        ├─▶ template version per (template, locale), looked up once per batch
        ├─▶ rendering.contexts_for_many (about seven queries for the batch)
        ├─▶ render_message per message (prepared template cached per version and process)
        │      template error ─▶ failed + reason (that message only)
        └─▶ content + `queued` stored in one UPDATE for the batch

Messages rendered before (a resend, a retry) keep their content: what the shopper gets does
not change between attempts.
"""

from __future__ import annotations

import logging

from django.utils import timezone

from config import db
from recommendations.models import RecommendationShown, Surface
from recommendations.services import recommendations_shown_record
from tenants.models import Tenant

from . import rendering
from .journeys.relevance import MessageFacts, messages_block_reasons
from .models import Message, Template, TemplateVersion
from .outcomes import Outcome
from .rendering.context import Preloaded

logger = logging.getLogger(__name__)
S = Message.Status

RENDERED_FIELDS = ["template_version", "locale", "subject", "preheader", "html_body",
                   "text_body", "links", "includes_marketing"]


def is_rendered(message: Message) -> bool:
    return bool(message.text_body or message.html_body)


def messages_facts(tenant: Tenant, messages: list[Message], *,
                   pending_counts: bool) -> MessageFacts:
    """The rows a batch's checks need, read so that rendering can use them again (orders with
    their customers, shipments)."""
    return MessageFacts(tenant, messages, pending_counts=pending_counts)


def messages_check(tenant: Tenant, messages: list[Message], *, pending_counts: bool,
                   facts: MessageFacts | None = None) -> tuple[list[Message], list[Outcome]]:
    """Split a batch into the messages still wanted and the outcomes of those that are not."""
    reasons = messages_block_reasons(tenant, messages, pending_counts=pending_counts,
                                     facts=facts)
    wanted, dropped = [], []
    for message in messages:
        reason = reasons[message.pk]
        if reason:
            dropped.append(Outcome(message, S.SUPPRESSED, reason, "suppressed"))
        else:
            wanted.append(message)
    return wanted, dropped


def messages_render(tenant: Tenant, messages: list[Message], *,
                    facts: MessageFacts | None = None) -> tuple[list[Message], list[Outcome]]:
    """Render the messages that have no content yet, setting the content on the instances
    (stored by the caller); returns the messages ready to send and the failed outcomes.
    `facts` (from messages_facts for the same batch) saves reading those rows again."""
    todo = [m for m in messages if not is_rendered(m)]
    if not todo:
        return list(messages), []
    problems = _versions_choose(tenant, todo, facts)
    renderable = [m for m in todo if m.pk not in problems]
    preloaded = Preloaded(facts.shipments, facts.orders) if facts else None
    contexts = _contexts(tenant, renderable, problems, preloaded)
    for message in renderable:
        if message.pk in problems:
            continue
        try:
            rendered = rendering.render_message(message.template_version, contexts[message.pk],
                                                message=message)
        except Exception as error:  # noqa: BLE001 - a template problem fails this message only
            logger.warning("message render failed", exc_info=True,
                           extra={"message_id": message.pk})
            problems[message.pk] = f"The template could not be rendered: {error}"[:500]
            continue
        message.locale = message.template_version.locale
        message.subject, message.preheader = rendered.subject[:300], (rendered.preheader or "")[:300]
        message.html_body, message.text_body = rendered.html or "", rendered.text or ""
        message.links = list(rendered.links or [])
    _recommendations_shown(tenant, [m for m in renderable if m.pk not in problems], contexts)
    ready = [m for m in messages if m.pk not in problems]
    failed = [Outcome(m, S.FAILED, problems[m.pk], "failed") for m in messages if m.pk in problems]
    return ready, failed


def _recommendations_shown(tenant: Tenant, messages: list[Message], contexts: dict) -> None:
    """The recommended products each message links to, recorded (one statement for the
    batch): a click on one is attributed to the message's placement, and a product shown
    again and again without a click sinks in that shopper's picks."""
    now = timezone.now()
    shown = [RecommendationShown(
        product_id=pick["id"], customer_id=message.customer_id, order_id=message.order_id,
        surface=Surface.EMAIL, milestone=message.milestone[:32], reference=str(message.pk),
        shown_at=now)
        for message in messages
        for pick in contexts[message.pk].get("recommendations") or ()
        if pick.get("id") and pick.get("url") in message.links]
    if shown:
        recommendations_shown_record(tenant, shown)


def _versions_choose(tenant: Tenant, messages: list[Message],
                     facts: MessageFacts | None) -> dict[int, str]:
    """Set each message's template version (the one it names, else the current one of its
    rule's template in its locale) and whether it carries marketing; returns problems by id.
    One query for the templates, one per (template, locale) pair in the batch."""
    if facts is not None:  # the rules were read for the checks
        rule_templates = {m.pk: facts.rules[m.rule_id].template_id for m in messages
                          if m.rule_id in facts.rules}
    else:
        rule_templates = dict(Message.objects.filter(pk__in=[m.pk for m in messages])
                              .values_list("pk", "rule__template_id"))
    customers = facts.customers if facts is not None else None
    named = [m.template_version_id for m in messages if m.template_version_id]
    versions = {v.pk: v for v in db.instances_where(TemplateVersion, tenant.pk,
                                                    {"id__in": named})}
    template_ids = {v.template_id for v in versions.values()}
    template_ids |= {t for t in rule_templates.values() if t}
    # The rules' templates came with the rules (MessageFacts); others are read here.
    templates = ({r.template_id: r.template for r in facts.rules.values()
                  if r.template_id in template_ids} if facts is not None else {})
    templates.update({t.pk: t for t in db.instances_where(
        Template, tenant.pk, {"id__in": list(template_ids - set(templates))})})
    customers = customers if customers is not None else _customers(messages)
    current: dict[tuple[int, str], TemplateVersion | None] = {}
    problems: dict[int, str] = {}
    linked: set[int] = set()
    for message in messages:
        version = (versions.get(message.template_version_id)
                   if message.template_version_id is not None else None)
        template_id = version.template_id if version else rule_templates.get(message.pk)
        template = templates.get(template_id) if template_id is not None else None
        if template is None:
            problems[message.pk] = ("There is no template to render this message with "
                                    "(its journey rule is gone).")
            continue
        customer = customers.get(message.customer_id) if message.customer_id is not None else None
        if version is None:
            locale = (message.locale or (customer.locale if customer else "")
                      or tenant.default_locale)
            if (template.pk, locale) not in current:
                current[template.pk, locale] = rendering.template_version_current(
                    template, locale)
            version = current[template.pk, locale]
            if version is None:
                problems[message.pk] = f"The template “{template.name}” has no version to send."
                continue
        if id(version) not in linked:  # a batch shares a handful of versions
            version.template = template
            linked.add(id(version))
        message.template_version = version
        message.includes_marketing = bool(
            template.has_marketing_content and customer is not None
            and getattr(customer, f"marketing_{message.channel}_consent", False))
    return problems


def _customers(messages: list[Message]) -> dict:
    from orders.models import Customer

    ids = {m.customer_id for m in messages if m.customer_id}
    return Customer.objects.in_bulk(ids) if ids else {}


def _contexts(tenant: Tenant, messages: list[Message], problems: dict[int, str],
              preloaded: Preloaded | None) -> dict:
    """Contexts for the batch in one go; should that fail (a row in a state nobody foresaw),
    each message on its own, so one bad order fails one message and not the batch."""
    try:
        return rendering.contexts_for_many(tenant, messages, preloaded=preloaded)
    except Exception:  # noqa: BLE001 - retried one by one just below
        logger.warning("batch context failed; loading one by one", exc_info=True)
    contexts = {}
    for message in messages:
        try:
            contexts.update(rendering.contexts_for_many(tenant, [message]))
        except Exception as error:  # noqa: BLE001 - fails this message, visibly
            problems[message.pk] = f"The template could not be rendered: {error}"[:500]
    return contexts
