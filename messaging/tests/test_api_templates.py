"""/api/v1/templates/: templates with their current version per locale, created and renamed,
and new versions saved through the renderer's check (errors name the field and line)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from messaging.models import TemplateVersion
from messaging.tests.dashboard_support import make_template
from orders.tests.api_support import alice_api_fixture, error_fields, read_only_api_fixture  # noqa: F401
from tenants.context import tenant_scope

pytestmark = pytest.mark.django_db
LIST = reverse("api-template-list")


def test_a_template_lists_its_current_version_per_locale(alice_api, personas):
    template = make_template(personas.tenant_a, key="custom-shipped", versions=3)
    with tenant_scope(personas.tenant_a):
        TemplateVersion.objects.create(template=template, locale="de", number=1, subject="Hallo",
                                       body="Hallo")

    body = alice_api.get(LIST, {"key": "custom-shipped"}).json()["results"]

    assert len(body) == 1
    current = {v["locale"]: v["number"] for v in body[0]["current_versions"]}
    assert current == {"de": 1, "en": 3}


def test_the_list_costs_a_fixed_number_of_queries(alice_api, personas,
                                                  django_assert_max_num_queries):
    for n in range(5):
        make_template(personas.tenant_a, versions=2, key=f"q-{n}")
    with django_assert_max_num_queries(6):
        assert alice_api.get(LIST).status_code == 200


def test_an_sms_version_is_saved_and_becomes_current(alice_api, personas):
    template = make_template(personas.tenant_a, channel="sms", versions=1)
    url = reverse("api-template-versions", args=[template.pk])

    response = alice_api.post(url, {"locale": "en", "body": "Hi {{ customer.first_name }}, "
                                                            "it is on its way: {{ tracking_url }}"},
                              format="json")

    assert response.status_code == 201, response.content
    assert response.json()["number"] == 2
    detail = alice_api.get(reverse("api-template-detail", args=[template.pk])).json()
    assert detail["current_versions"][0]["number"] == 2
    assert [v["number"] for v in alice_api.get(url).json()["results"]] == [2, 1]


def test_a_template_error_comes_back_with_its_field_and_line(alice_api, personas):
    template = make_template(personas.tenant_a, channel="sms")
    response = alice_api.post(reverse("api-template-versions", args=[template.pk]), {
        "locale": "en", "body": "Hello\nthere\n{{ customer.first_name }"}, format="json")
    details = error_fields(response)
    assert list(details) == ["body"] and "line 3" in details["body"][0]


def test_a_template_is_created_and_renamed(alice_api, personas):
    created = alice_api.post(LIST, {"key": "vip-shipped", "name": "VIP shipped",
                                    "channel": "email"}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["current_versions"] == []
    assert "key" in error_fields(alice_api.post(LIST, {"key": "vip-shipped", "name": "Again",
                                                       "channel": "email"}, format="json"))
    renamed = alice_api.patch(reverse("api-template-detail", args=[created.json()["id"]]),
                              {"name": "VIP: shipped"}, format="json")
    assert renamed.json()["name"] == "VIP: shipped"


def test_an_unknown_locale_is_refused(alice_api, personas):
    template = make_template(personas.tenant_a, channel="sms")
    assert "locale" in error_fields(alice_api.post(
        reverse("api-template-versions", args=[template.pk]), {"locale": "xx", "body": "Hi"},
        format="json"))


def test_a_read_only_key_cannot_save_versions(read_only_api, personas):
    template = make_template(personas.tenant_a, channel="sms")
    response = read_only_api.post(reverse("api-template-versions", args=[template.pk]),
                                  {"locale": "en", "body": "Hi"}, format="json")
    assert response.status_code == 403
