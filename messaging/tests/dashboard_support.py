"""Objects for the messaging API and dashboard tests, made directly in one tenant's scope:
a template with versions, a journey with a rule, messages in any status with events.

Versions are stored as rows (not through `template_version_save`) where a test is about the
API or the pages, not about compiling templates."""

from __future__ import annotations

from datetime import timedelta
from itertools import count

from django.utils import timezone

from messaging.models import (
    Channel,
    Journey,
    JourneyRule,
    Message,
    MessageEvent,
    Template,
    TemplateVersion,
)
from tenants.tests.factories import in_scope

_seq = count(1)


def make_template(tenant, *, channel: str = Channel.EMAIL, key: str | None = None,
                  name: str = "Shipped", body: str = "Hello {{ customer.first_name }}",
                  locale: str = "en", versions: int = 1) -> Template:
    with in_scope(tenant):
        template = Template.objects.create(
            key=key or f"test-{next(_seq)}-{channel}", name=name, channel=channel)
        for number in range(1, versions + 1):
            TemplateVersion.objects.create(
                template=template, locale=locale, number=number,
                subject="" if channel == Channel.SMS else f"Subject v{number}",
                body=f"{body} v{number}")
    return template


def make_journey(tenant, *, name: str = "Test journey", template: Template | None = None,
                 trigger: str = "shipped") -> tuple[Journey, JourneyRule]:
    template = template or make_template(tenant)
    with in_scope(tenant):
        journey = Journey.objects.create(name=name)
        rule = JourneyRule.objects.create(journey=journey, name=f"{trigger} rule",
                                          trigger=trigger, channel=template.channel,
                                          template=template, position=0)
    return journey, rule


def make_message(tenant, *, status: str = Message.Status.SENT, recipient: str = "sam@example.test",
                 channel: str = Channel.EMAIL, milestone: str = "shipped", order=None,
                 version: TemplateVersion | None = None, events: int = 1,
                 reason: str = "") -> Message:
    now = timezone.now()
    with in_scope(tenant):
        message = Message.objects.create(
            channel=channel, milestone=milestone, recipient=recipient, order=order,
            dedup_key=f"test:{next(_seq)}", status=status, status_reason=reason,
            due_at=now - timedelta(minutes=5), template_version=version, locale="en",
            subject="Your parcel is on its way", html_body="<p>On its way</p>",
            text_body="On its way", attempts=1)
        for n in range(events):
            MessageEvent.objects.create(message=message, kind="delivered" if n else "processed",
                                        occurred_at=now, source="sendgrid",
                                        provider_event_id=f"evt-{message.pk}-{n}")
    return message
