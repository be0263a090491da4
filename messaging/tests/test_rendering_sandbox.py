"""Tenant templates run in a sandbox: they read the documented variables and nothing else, and
a mistake is reported at save time with its line and the name involved."""

from __future__ import annotations

import pytest

from config.errors import ValidationFailed
from messaging.models import Template
from messaging.rendering import render_message, sample_context, template_source_check, template_version_save
from tenants.context import tenant_scope

pytestmark = pytest.mark.django_db

VALID_SMS = "{{ brand.name }}: order {{ order.number }} is on its way {{ tracking_url }}"


@pytest.fixture
def sms_template(personas):
    with tenant_scope(personas.tenant_a):
        return Template.objects.create(key="custom-sms", name="Custom", channel="sms")


def errors_for(body: str, channel: str = "sms") -> list[str]:
    check = template_source_check(channel, locale="en", subject="Hello", body=body)
    return check.errors.get("body", [])


@pytest.mark.parametrize("attack", [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ order.__class__ }}",
    "{{ brand.__init__.__globals__ }}",
    "{{ cycler.__init__.__globals__.os }}",
    "{{ lipsum.__globals__ }}",
    "{{ range.__self__ }}",
    "{{ ''['__class__'] }}",
    "{{ (order|attr('__class__')) }}",
])
def test_dunder_attribute_attacks_are_refused_at_save(attack):
    assert errors_for(attack), attack


def test_a_template_cannot_call_methods_that_change_data():
    assert errors_for("{{ order.line_items.append(1) }}")
    assert errors_for("{{ order.update({'number': 1}) }}")
    assert errors_for("{{ order.pop('number') }}")


@pytest.mark.parametrize("reach", ["{{ settings.SECRET_KEY }}", "{{ request.user }}",
                                   "{{ order.save() }}", "{{ config }}", "{{ self.__dict__ }}"])
def test_nothing_outside_the_documented_variables_is_reachable(reach):
    assert errors_for(reach), reach


def test_the_context_holds_plain_data_never_models():
    def walk(value):
        if isinstance(value, dict):
            for item in value.values():
                yield from walk(item)
        elif isinstance(value, list):
            for item in value:
                yield from walk(item)
        else:
            yield value

    for value in walk(sample_context(milestone="shipped")):
        assert not hasattr(value, "_meta"), value
        assert not hasattr(value, "save"), value


def test_a_dict_key_named_like_a_method_reads_the_key():
    version = type("Version", (), {"pk": None, "body": "{{ order.items }} {{ order.keys }}",
                                   "template": type("T", (), {"channel": "sms"})()})()
    rendered = render_message(version, {"order": {"items": "three", "keys": "two"}})
    assert rendered.text == "three two"


def test_variables_are_autoescaped_in_html():
    check = template_source_check(
        "email", locale="en", subject="Hi", preheader="",
        body="<mj-section><mj-column><mj-text>{{ customer.first_name }}</mj-text></mj-column></mj-section>")
    version = type("Version", (), {"pk": None, "subject": "Hi", "preheader": "", "text_body": "",
                                   "compiled_html": check.compiled_html, "locale": "en",
                                   "template": type("T", (), {"channel": "email"})()})()
    context = sample_context()
    context["customer"]["first_name"] = "<script>alert(1)</script>"
    rendered = render_message(version, context)
    assert "<script>alert(1)</script>" not in rendered.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered.html


def test_a_syntax_error_is_reported_with_its_line():
    [error] = errors_for("Hello\n{{ order.number }}\n{% if order %}no end")
    assert error.startswith("line 3: Unexpected end of template.")
    assert "'endif'" in error


def test_an_unknown_filter_is_reported_with_its_line():
    assert errors_for("Hi\n\n{{ order.number|shout }}") == ["line 3: No filter named 'shout'."]


def test_a_misspelt_field_is_reported_with_its_line_and_a_suggestion():
    assert errors_for("Hi\n{{ order.nubmer }}") == [
        "line 2: `nubmer` is not a field here; did you mean `number`?"]


def test_an_unknown_variable_is_reported_by_name():
    assert errors_for("{{ shopper.name }}") == ["line 1: `shopper` is not a variable"]


def test_a_guarded_optional_variable_passes():
    assert errors_for("{% if shipment %}{{ shipment.carrier }}{% endif %} {{ x|default('') }}") == []


def test_saving_a_broken_template_raises_validation_failed_with_details(personas, sms_template):
    with pytest.raises(ValidationFailed) as caught, tenant_scope(personas.tenant_a):
        template_version_save(personas.tenant_a, sms_template, locale="en", subject="",
                              preheader="", body="Hi\n{{ order.nubmer }}")
    assert caught.value.details == {
        "body": ["line 2: `nubmer` is not a field here; did you mean `number`?"]}
    with tenant_scope(personas.tenant_a):
        assert not sms_template.versions.exists()


def test_at_send_time_a_missing_value_renders_as_nothing():
    version = type("Version", (), {"pk": None, "body": VALID_SMS,
                                   "template": type("T", (), {"channel": "sms"})()})()
    context = sample_context()
    context["order"] = None
    assert render_message(version, context).text.startswith("Alpha Outfitters: order  is on")


def test_the_sandbox_also_holds_at_send_time_for_a_version_stored_unchecked():
    from jinja2.exceptions import SecurityError

    version = type("Version", (), {"pk": None, "body": "{{ ''.__class__.__mro__ }}",
                                   "template": type("T", (), {"channel": "sms"})()})()
    with pytest.raises(SecurityError):
        render_message(version, sample_context())
