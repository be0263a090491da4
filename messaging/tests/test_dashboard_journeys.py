"""Journey editor: rules listed with trigger, channel, template, delay, conditions and quiet
hours; switched on and off in place; added and changed with errors next to their fields."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from messaging.models import JourneyRule, Template
from messaging.tests.dashboard_support import make_journey, make_template
from tenants.context import tenant_scope

pytestmark = pytest.mark.django_db
PAGE = reverse("messaging:journeys")


def form(template, **overrides) -> dict:
    return {"name": "Review request", "trigger": "review_request", "channel": template.channel,
            "template": template.pk, "delay": "3", "delay_unit": "days", "customer": "any",
            "enabled": "on", **overrides}


def test_the_editor_lists_rules_with_what_they_do(client, personas, django_assert_max_num_queries):
    journey, rule = make_journey(personas.tenant_a, name="Alpha journey")
    with tenant_scope(personas.tenant_a):
        JourneyRule.objects.filter(pk=rule.pk).update(
            delay_minutes=120, conditions={"customer": "repeat", "countries": ["DE"]})
    client.force_login(personas.alice)
    with django_assert_max_num_queries(10):
        body = client.get(PAGE).content.decode()
    assert "Alpha journey" in body and "2 hours later" in body
    assert "Repeat customers" in body and "To: DE" in body
    assert f'hx-post="/journeys/rules/{rule.pk}/toggle/"' in body


def test_a_rule_is_switched_off_in_place(client, personas):
    _, rule = make_journey(personas.tenant_a)
    client.force_login(personas.alice)
    response = client.post(reverse("messaging:rule-toggle", args=[rule.pk]), {},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert f'id="rule-{rule.pk}" class="is-off"' in response.content.decode()
    with tenant_scope(personas.tenant_a):
        rule.refresh_from_db()
    assert rule.enabled is False


def test_a_rule_is_added_with_conditions_and_default_sms_quiet_hours(client, personas):
    journey, _ = make_journey(personas.tenant_a)
    sms = make_template(personas.tenant_a, channel="sms")
    client.force_login(personas.alice)
    response = client.post(reverse("messaging:rule-create", args=[journey.pk]), form(
        sms, trigger="out_for_delivery", delay="0", countries="de, at", min_order_value="50"))
    assert response.status_code == 302, response.content.decode()[:2000]
    with tenant_scope(personas.tenant_a):
        added = JourneyRule.objects.get(journey=journey, trigger="out_for_delivery")
    assert added.conditions == {"min_order_value": "50.00", "countries": ["de", "at"]}
    assert added.quiet_hours_start.hour == 21 and added.quiet_hours_end.hour == 8


def test_errors_stand_next_to_their_fields(client, personas):
    journey, _ = make_journey(personas.tenant_a)
    email = make_template(personas.tenant_a, channel="email")
    client.force_login(personas.alice)
    response = client.post(reverse("messaging:rule-create", args=[journey.pk]), form(
        email, channel="sms", quiet_hours_start="22:00"))
    body = response.content.decode()
    assert response.status_code == 400
    template_field = body[body.index('id="field-template"'):body.index('id="field-delay"')]
    assert "pick a template of that channel" in template_field
    quiet_field = body[body.index('id="field-quiet_hours_end"'):]
    assert "Set both ends" in quiet_field[:1500]


def test_a_rule_is_edited(client, personas):
    journey, rule = make_journey(personas.tenant_a)
    client.force_login(personas.alice)
    url = reverse("messaging:rule-edit", args=[rule.pk])
    assert 'value="shipped rule"' in client.get(url).content.decode()
    with tenant_scope(personas.tenant_a):
        template = rule.template
    response = client.post(url, form(template, name="Renamed", customer="first_time"))
    assert response.status_code == 302
    with tenant_scope(personas.tenant_a):
        rule.refresh_from_db()
    assert rule.name == "Renamed" and rule.delay_minutes == 3 * 24 * 60
    assert rule.conditions == {"customer": "first_time"}


def test_an_agent_sees_journeys_but_cannot_change_them(client, personas):
    _, rule = make_journey(personas.tenant_a)
    client.force_login(personas.bob)
    body = client.get(PAGE).content.decode()
    assert "Add rule" not in body
    assert client.post(reverse("messaging:rule-toggle", args=[rule.pk])).status_code == 403


def test_a_new_rule_starts_on_the_template_of_its_channel_and_trigger(client, personas):
    """Even without JavaScript. Of the store's default templates, the first by name is
    "Delayed (SMS)"; a new rule (an e-mail on "order confirmed") starts on the one made for it,
    and every name is shown once, under its channel's group."""
    journey, _ = make_journey(personas.tenant_a)
    with tenant_scope(personas.tenant_a):
        made = Template.objects.get(key="order_confirmed-email")
    client.force_login(personas.alice)
    body = client.get(reverse("messaging:rule-create", args=[journey.pk])).content.decode()
    field = body[body.index('id="field-template"'):body.index('id="field-delay"')]
    assert re.findall(r"<option [^>]*\bselected\b[^>]*>([^<]*)<", field) == [made.name]
    assert re.search(rf'value="{made.pk}"[^>]* data-channel="email" data-key="order_confirmed-email"',
                     field)
    assert '<optgroup label="E-mail templates">' in field and '<optgroup label="SMS templates">' in field
    assert "(SMS) (SMS)" not in field and "(e-mail) (E-mail)" not in field
