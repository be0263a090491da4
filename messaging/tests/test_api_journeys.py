"""/api/v1/journeys/: journeys with nested rules, scripted end to end; every rule is checked
(trigger, template channel, quiet hours, conditions) and errors name the field."""

from __future__ import annotations

from datetime import time

import pytest
from django.urls import reverse

from messaging.models import Journey, JourneyRule
from messaging.tests.dashboard_support import make_journey, make_template
from orders.tests.api_support import alice_api_fixture, error_fields, read_only_api_fixture  # noqa: F401
from tenants.context import tenant_scope

pytestmark = pytest.mark.django_db
LIST = reverse("api-journey-list")


@pytest.fixture
def templates(personas):
    return {"email": make_template(personas.tenant_a, channel="email"),
            "sms": make_template(personas.tenant_a, channel="sms")}


def rule(tpl, **overrides) -> dict:
    return {"name": "Review", "trigger": "review_request", "channel": tpl.channel,
            "template": tpl.pk, "delay_minutes": 4320, **overrides}


def test_a_journey_is_created_with_its_rules(alice_api, personas, templates):
    response = alice_api.post(LIST, {"name": "Repeat buyers", "rules": [
        rule(templates["email"], conditions={"customer": "repeat", "countries": ["DE"]}),
        rule(templates["sms"], trigger="out_for_delivery", delay_minutes=0)]}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert [r["trigger"] for r in body["rules"]] == ["review_request", "out_for_delivery"]
    assert body["rules"][0]["conditions"] == {"customer": "repeat", "countries": ["DE"]}
    # An SMS rule sent without quiet hours waits out the night by default.
    assert body["rules"][1]["quiet_hours_start"] == "21:00:00"
    assert body["rules"][1]["quiet_hours_end"] == "08:00:00"
    assert body["rules"][0]["quiet_hours_start"] is None


def test_an_invalid_rule_names_its_field_and_creates_nothing(alice_api, personas, templates):
    before = _journeys(personas)
    details = error_fields(alice_api.post(LIST, {"name": "Broken", "rules": [
        rule(templates["email"]),
        rule(templates["sms"], channel="email")]}, format="json"))
    assert list(details) == ["rules[1].template"]
    assert _journeys(personas) == before


def _journeys(personas) -> int:
    with tenant_scope(personas.tenant_a):
        return Journey.objects.count()


@pytest.mark.parametrize(("overrides", "field"), [
    ({"trigger": "teleported"}, "trigger"),
    ({"quiet_hours_start": "22:00"}, "quiet_hours_end"),
    ({"conditions": {"customer": "vip"}}, "conditions.customer"),
    ({"conditions": {"min_order_value": "lots"}}, "conditions.min_order_value"),
    ({"conditions": {"colour": "red"}}, "conditions.colour"),
    ({"template": 999999}, "template"),
    ({"surprise": 1}, "surprise"),
])
def test_rule_errors_name_the_field(alice_api, personas, templates, overrides, field):
    journey, _ = make_journey(personas.tenant_a, template=templates["email"])
    response = alice_api.post(reverse("api-journey-rules", args=[journey.pk]),
                              rule(templates["email"], **overrides), format="json")
    assert field in error_fields(response)


def test_a_rule_is_changed_switched_off_and_deleted(alice_api, personas, templates):
    journey, existing = make_journey(personas.tenant_a, template=templates["email"])
    url = reverse("api-journey-rule-detail", args=[journey.pk, existing.pk])

    changed = alice_api.patch(url, {"delay_minutes": 60, "enabled": False,
                                    "quiet_hours_start": "20:00", "quiet_hours_end": "07:30"},
                              format="json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["delay_minutes"] == 60 and changed.json()["enabled"] is False
    with tenant_scope(personas.tenant_a):
        existing.refresh_from_db()
    assert existing.quiet_hours_end == time(7, 30) and existing.trigger == "shipped"

    # A channel change without a template of that channel is refused whole.
    assert "template" in error_fields(alice_api.patch(url, {"channel": "sms"}, format="json"))
    assert alice_api.patch(url, {"channel": "sms", "template": templates["sms"].pk},
                           format="json").status_code == 200

    assert alice_api.delete(url).status_code == 204
    with tenant_scope(personas.tenant_a):
        assert not JourneyRule.objects.filter(pk=existing.pk).exists()


def test_a_rule_is_only_found_under_its_own_journey(alice_api, personas, templates):
    _, rule_a = make_journey(personas.tenant_a, template=templates["email"])
    other, _ = make_journey(personas.tenant_a, template=templates["email"])
    response = alice_api.get(reverse("api-journey-rule-detail", args=[other.pk, rule_a.pk]))
    assert response.status_code == 404


def test_a_journey_is_renamed_switched_off_and_deleted(alice_api, personas, templates):
    journey, _ = make_journey(personas.tenant_a, template=templates["email"])
    url = reverse("api-journey-detail", args=[journey.pk])
    body = alice_api.patch(url, {"name": "Quiet", "enabled": False}, format="json").json()
    assert body["name"] == "Quiet" and body["enabled"] is False
    assert alice_api.delete(url).status_code == 204
    assert alice_api.get(url).status_code == 404


def test_the_list_shows_rules_in_a_fixed_number_of_queries(
        alice_api, personas, templates, django_assert_max_num_queries):
    for n in range(4):
        make_journey(personas.tenant_a, name=f"J{n}", template=templates["email"])
    with django_assert_max_num_queries(6):
        body = alice_api.get(LIST).json()
    names = {j["name"] for j in body["results"]}
    assert {"J0", "J1", "J2", "J3"} <= names
    assert all(j["rules"] for j in body["results"] if j["name"].startswith("J"))


def test_a_read_only_key_cannot_write_journeys(read_only_api, personas):
    assert read_only_api.get(LIST).status_code == 200
    assert read_only_api.post(LIST, {"name": "x"}, format="json").status_code == 403
