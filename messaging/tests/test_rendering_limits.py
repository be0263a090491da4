"""Templates cannot hog a worker (issue 15, point 3): what a tenant's template would make is
sized before it is made, loops and calls count against a budget per render, and a template
past a limit is refused at save and in the preview with a clear reason, or fails its message.
The escapes of Jinja's published sandbox advisories are refused too."""

from __future__ import annotations

import re
import time

import pytest
from django.urls import reverse

from messaging.models import Message, TemplateVersion
from messaging.preparing import messages_render
from messaging.rendering import limits, render_message, sample_context, template_source_check
from messaging.rendering.environment import check_env, send_env, send_text_env
from messaging.rendering.limits import TemplateTooCostly
from messaging.tests.dashboard_support import make_message, make_template
from orders.tests.api_support import alice_api_fixture, error_fields  # noqa: F401
from tenants.context import tenant_scope

pytestmark = pytest.mark.django_db

# The two templates of the original report: hours of CPU and a gigabyte each, before.
HUGE_POWER = "{{ (9**(9**9)) % 7 }}"
HUGE_STRING = '{{ "x" * 10**9 }}'
EMAIL = "<mj-section><mj-column><mj-text>{}</mj-text></mj-column></mj-section>"


class Spent:
    """The CPU time this process spends in a block (what a template costs, whatever else the
    machine runs: two test workers, the demo stack, Chromium), and its wall time, which a
    busy machine stretches: the limits are on the first, the second only stays bounded."""

    def __enter__(self) -> Spent:
        self.cpu, self.wall = time.process_time(), time.monotonic()
        return self

    def __exit__(self, *exc) -> None:
        self.cpu, self.wall = time.process_time() - self.cpu, time.monotonic() - self.wall


def errors_for(body: str) -> list[str]:
    check = template_source_check("sms", locale="en", body=body)
    return check.errors.get("body", [])


def version_of(body: str):
    """An SMS version as stored without the save's check (an old row, a direct insert)."""
    return type("Version", (), {"pk": None, "body": body,
                                "template": type("T", (), {"channel": "sms"})()})()


# --- the original requests ---------------------------------------------------------------

@pytest.mark.parametrize("body", [HUGE_POWER, HUGE_STRING])
def test_saving_the_reported_templates_through_the_api_is_refused_within_a_second(
        alice_api, personas, body):
    template = make_template(personas.tenant_a, channel="sms")
    url = reverse("api-template-versions", args=[template.pk])
    assert alice_api.post(url, {"locale": "en", "body": "Hi"}, format="json").status_code == 201
    with Spent() as spent:  # the process is warm: what is timed is the template's cost
        response = alice_api.post(url, {"locale": "en", "body": body}, format="json")
    assert spent.cpu < 1 and spent.wall < 5
    [problem] = error_fields(response)["body"]
    assert problem.startswith("line 1: The template would take too much work to render: ")


@pytest.mark.parametrize("body", [HUGE_POWER, HUGE_STRING])
def test_saving_the_reported_templates_in_an_email_through_the_api_is_refused(
        alice_api, personas, body):
    template = make_template(personas.tenant_a, channel="email")
    url = reverse("api-template-versions", args=[template.pk])
    assert alice_api.post(url, {"locale": "en", "subject": "Hi", "body": EMAIL.format("Hi")},
                          format="json").status_code == 201
    with Spent() as spent:
        response = alice_api.post(url, {"locale": "en", "subject": "Hi",
                                        "body": EMAIL.format(body)}, format="json")
    assert spent.cpu < 1 and spent.wall < 5
    assert "too much work" in error_fields(response)["body"][0]


@pytest.mark.parametrize("body", [HUGE_POWER, HUGE_STRING])
def test_the_dashboard_preview_of_the_reported_templates_says_why_within_a_second(
        client, personas, body):
    template = make_template(personas.tenant_a, channel="email")
    client.force_login(personas.alice)
    url = reverse("messaging:template-preview", args=[template.pk])
    draft = {"locale": "en", "subject": "Hi", "preheader": "", "text_body": ""}
    assert "Hi" in client.post(url, {**draft, "body": EMAIL.format("Hi")}).content.decode()
    with Spent() as spent:
        response = client.post(url, {**draft, "body": EMAIL.format(body)}, HTTP_HX_REQUEST="true")
    assert spent.cpu < 1 and spent.wall < 5
    page = response.content.decode()
    assert response.status_code == 200
    assert "template-error" in page and "would take too much work to render" in page


def test_the_preview_with_a_real_order_past_a_limit_says_why(client, personas):
    from datetime import UTC, datetime
    from decimal import Decimal

    from orders import services as order_services

    with tenant_scope(personas.tenant_a):
        order, _ = order_services.order_upsert(personas.tenant_a, order_services.OrderInput(
            external_id="big-1", number="#" + "9" * 31, currency="EUR",
            placed_at=datetime(2026, 11, 1, tzinfo=UTC),
            customer=order_services.CustomerInput(external_id="c-big", email="kim@example.test"),
            lines=[order_services.LineInput(title="Tent", quantity=1, unit_price=Decimal("9"))]))
    template = make_template(personas.tenant_a, channel="sms")
    client.force_login(personas.alice)
    # The sample order's number is short: the check passes, this order's data does not.
    body = "{{ 'x' * (order.number|length ** 4) }}"
    page = client.post(reverse("messaging:template-preview", args=[template.pk]), {
        "locale": "en", "body": body, "order": order.pk, "milestone": "shipped"}).content.decode()
    assert "template-error" in page
    assert "would take too much work to render: `*` would make a value of 1,048,576" in page


def test_saving_them_in_the_dashboard_keeps_the_form_with_the_reason(client, personas):
    template = make_template(personas.tenant_a, channel="sms")
    client.force_login(personas.alice)
    response = client.post(reverse("messaging:template", args=[template.pk]) + "?locale=en",
                           {"locale": "en", "body": HUGE_STRING})
    assert response.status_code == 400
    assert "would take too much work to render" in response.content.decode()


def test_a_stored_template_past_a_limit_fails_its_message_with_the_reason(personas):
    template = make_template(personas.tenant_a, channel="sms")
    with tenant_scope(personas.tenant_a):
        version = TemplateVersion.objects.create(template=template, locale="en", number=2,
                                                 body=HUGE_STRING)
    message = make_message(personas.tenant_a, channel="sms", status=Message.Status.QUEUED,
                           version=version)
    message.html_body = message.text_body = ""

    with tenant_scope(personas.tenant_a):
        ready, failed = messages_render(personas.tenant_a, [message])

    assert ready == []
    [outcome] = failed
    assert outcome.status == Message.Status.FAILED
    assert "would take too much work to render: `*` would make a value of 1,000,000,000" in (
        outcome.reason)


# --- compile time: nothing is folded that could be big -----------------------------------

def test_jinja_emits_calls_for_the_intercepted_operators_instead_of_folding_them():
    with Spent() as spent:
        code = send_env.compile(HUGE_POWER + HUGE_STRING + '{{ "%9d" % 1 }}{{ 2 + 2 }}', raw=True)
    assert spent.cpu < 0.5 and spent.wall < 5
    for operator in ("**", "*", "%", "+"):
        assert f"environment.call_binop(context, {operator!r}, " in code, (
            f"Jinja folds or inlines {operator!r} again: a sandboxed template can burn the "
            "compiler's CPU (see limits.py)")


def test_filters_folded_at_compile_time_keep_their_limits():
    template = send_text_env.from_string('{{ "x"|center(1000000000) }}')  # no error: not folded
    with pytest.raises(TemplateTooCostly, match="center would make a value of 1,000,000,000"):
        template.render()


def test_a_number_literal_past_pythons_digits_is_a_source_error_not_a_crash():
    assert errors_for("{{ " + "9" * 5000 + " }}") == [
        "A number in the template has more than 4,300 digits."]


# --- render time: each way to grow a value ----------------------------------------------

@pytest.mark.parametrize(("body", "reason"), [
    ("{{ 10 ** 1001 }}", "`**` would make a number of at least 1,001 digits"),
    ("{{ (10 ** 999) * (10 ** 999) }}", "`*` would make a number of more than 1,000 digits"),
    ("{{ [1, 2] * 300000 }}", "`*` would make a value of 1,200,000"),
    ('{% set s = "x" * 600000 %}{{ s + s }}', "`+` would make a value of 1,200,000"),
    ('{% set s = "x" * 600000 %}{{ s ~ s }}', "`~` would make a value of 1,200,000"),
    ('{% set s = "x" * 1000 %}{% set a = [s, s] %}{% set b = [a, a] %}{% set c = [b, b] %}'
     '{% set d = [c, c] %}{% set e = [d, d] %}{% set f = [e, e] %}{% set g = [f, f] %}'
     '{% set h = [g, g] %}{% set i = [h, h] %}{% set j = [i, i] %}{{ j }}',
     "a list or dict would make a value of 1,02"),
    ('{{ "%999999999d" % 1 }}', "a format width or precision of 999999999"),
    ('{{ "%*d" % (5, 1) }}', "a `*` width in a format"),
    ('{{ "%s" * 2000 % ("x" * 1000,) * 2000 }}', "formatting would make a value of"),
    ('{{ "%.9999999f"|format(1.5) }}', "formatting would make a value of 10,000,"),
    ('{{ "{:>999999999}".format(1) }}', "a format width or precision of 999999999"),
    ('{{ ("{0}" * 2000).format("x" * 1000) }}', "format() would make a value of 2,00"),
    ('{{ "{a:{w}}".format_map({"a": 1, "w": 9}) }}', "a field inside a format spec"),
    ('{{ "x"|center(10 ** 9) }}', "|center would make a value of 1,000,000,000"),
    ('{{ ("x\n" * 1000)|indent(10000) }}', "|indent would make a value of 10,0"),
    ('{{ ("x" * 100000)|wordwrap(1, wrapstring="-" * 100) }}', "|wordwrap would make"),
    ('{{ ("x" * 1000)|replace("x", "y" * 10000) }}', "replace would make a value of 10,000,000"),
    ('{{ ("x" * 1000).replace("x", "y" * 10000) }}', "replace would make a value of 10,000,000"),
    ('{{ range(10000)|join("y" * 1000) }}', "join would make a value of 10,0"),
    ('{{ ("y" * 1000).join(range(10000)|map("string")) }}', "join would make a value of 10,0"),
    ('{{ [1]|batch(10 ** 9, "x")|list }}', "|batch would make a value of 1,000,000,000"),
    ('{{ [1]|slice(10 ** 9)|list }}', "|slice would make a value of 1,000,000,000"),
    ("{{ ([[0] * 100] * 100)|sum(start=[]) }}", "|sum would make a value of 2,000,000"),
    ('{{ dict.fromkeys(range(20000), "x" * 100) }}', "calling fromkeys would make a value"),
])
def test_a_value_past_its_limit_is_refused_before_it_is_made(body, reason):
    began = time.monotonic()
    [problem] = errors_for(body)
    assert reason in problem, problem
    assert time.monotonic() - began < 5, body  # bounded (a shared CI machine is noisy)


@pytest.mark.parametrize("attack", [
    '{{ "x".ljust(10 ** 9) }}', '{{ "x".center(10 ** 9) }}', '{{ "1".zfill(10 ** 9) }}',
    '{{ "\t".expandtabs(10 ** 9) }}', '{{ "x".encode() }}', "{{ (1).to_bytes(10 ** 9, 'big') }}",
    "{{ (0).from_bytes(range(256)) }}", '{{ "x".translate({120: "y"}) }}',
])
def test_string_and_number_methods_that_pad_or_encode_are_not_reachable(attack):
    [problem] = errors_for(attack)
    assert "is unsafe" in problem, problem


@pytest.mark.parametrize(("body", "reason"), [
    # Loops: each range is within Jinja's MAX_RANGE, their product is not.
    ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
     "more than 100,000 loop iterations, calls and filters"),
    ('{% for c in "x" * 1000 %}{% for d in "x" * 1000 %}{% endfor %}{% endfor %}',
     "more than 100,000 loop iterations"),
    # Recursion: a call costs more than a loop's item, so the clock may stop it first.
    ("{% for x in [1] recursive %}{{ loop(range(100000)) if loop.depth < 4 }}{% endfor %}",
     "more than 100,000 loop iterations|rendering took more than 1 s"),
    ("{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(40) }}",
     "more than 100,000 loop iterations|rendering took more than 1 s"),
    # Output: written by {{ }}, or literal text repeated, even inside a macro or {% set %}.
    ('{% for i in range(60000) %}{{ "0123456789" * 2 }}{% endfor %}',
     "writes more than 1,000,000 characters"),
    ("{% set s %}{% for i in range(60000) %}01234567890123456789{% endfor %}{% endset %}",
     "would write 1,200,000 characters"),
    ("{% macro m() %}{% for i in range(60000) %}01234567890123456789{% endfor %}{% endmacro %}"
     "{{ m()|length }}", "would write 1,200,000 characters"),
])
def test_work_past_the_budget_is_refused(body, reason):
    began = time.monotonic()
    [problem] = errors_for(body)
    assert re.search(reason, problem), problem
    assert time.monotonic() - began < 5, body  # bounded (a shared CI machine is noisy)


def test_a_render_past_its_time_budget_fails_with_the_reason():
    with limits.budget(seconds=0), pytest.raises(TemplateTooCostly, match="took more than"):
        render_message(version_of("{% for x in [1, 2] %}{{ x }}{% endfor %}"), sample_context())


def test_a_render_that_keeps_the_processor_past_its_budget_fails():
    """The CPU clock is only read once the wall clock says the budget could be spent: a
    render that works past it still fails, at the first step after."""
    body = "{% for i in range(90000) %}{{ i }}{% endfor %}"
    with limits.budget(seconds=0.02), pytest.raises(TemplateTooCostly, match="took more than"):
        render_message(version_of(body), sample_context())


def test_waiting_for_the_processor_does_not_count_against_the_budget():
    """A worker on a busy machine waits: that is not the template's cost (the budget is the
    rendering thread's CPU time)."""
    with limits.budget(seconds=0.2):
        time.sleep(0.4)
        render_message(version_of("{% for x in [1, 2] %}{{ x }}{% endfor %}"), sample_context())


def test_a_template_rendered_outside_a_budget_fails_closed():
    template = send_text_env.from_string("{% for x in [1, 2] %}{{ x }}{% endfor %}")
    with pytest.raises(RuntimeError, match="outside"):
        "".join(template.generate())


def test_jinja_joins_every_buffer_through_the_environments_concat():
    """Pins the one reach past Jinja's documented API in environment.py: compiled templates
    join a render, a macro's output and a {% set %} block with `environment.concat`."""
    for source in ("{% macro m() %}{{ 'x' }}{% endmacro %}{{ m() }}",
                   "{% set s %}{{ 'x' }}{% endset %}{{ s }}", "{{ 'x' }}"):
        code = check_env.compile(source, raw=True)
        assert "concat = environment.concat" in code, (
            "Jinja no longer joins through environment.concat: limits.concat would not run")
    calls = []
    env_concat = send_env.concat
    try:
        send_env.concat = lambda parts: calls.append(1) or "".join(parts)  # type: ignore[method-assign]
        send_env.from_string("{% macro m() %}x{% endmacro %}{% set s %}y{% endset %}"
                             "{{ m() }}{{ s }}").render()
    finally:
        send_env.concat = env_concat  # type: ignore[method-assign]
    assert len(calls) == 3


# --- ordinary templates are unchanged ----------------------------------------------------

def test_ordinary_arithmetic_strings_loops_and_filters_still_work():
    body = ('{{ 2 ** 10 }} {{ 3 * 4 }} {{ "ab" * 3 }} {{ [1] + [2] }} {{ "a" ~ 1 ~ "b" }} '
            '{{ "%s-%05d"|format("a", 3) }} {{ "%.2f" % 1.5 }} {{ "{}!".format("hi") }} '
            '{{ range(3)|join(",") }} {{ [1, 2]|sum }} {{ "a b"|replace("a", "c") }} '
            '{{ "x"|center(3) }}|{% for x in range(3) %}{{ loop.index }}{% endfor %} '
            '{{ {"a": 1}|dictsort }} {{ "A,B".lower().split(",") }} {{ (7).bit_length() }}')
    rendered = render_message(version_of(body), sample_context()).text
    assert rendered == ("1024 12 ababab [1, 2] a1b a-00003 1.50 hi! 0,1,2 3 c b "
                        " x |123 [('a', 1)] ['a', 'b'] 3")


def test_markup_survives_a_concatenation_with_autoescaping():
    html = send_env.from_string('{{ "<b>"|safe ~ "<i>" }}').render()
    assert html == "<b>&lt;i&gt;"


def test_a_field_past_the_source_limit_is_refused():
    assert errors_for("x" * 100_001) == [
        "This field is 100,001 characters long; a template field can have at most 100,000."]


# --- Jinja's published sandbox advisories ------------------------------------------------

@pytest.mark.parametrize("attack", [
    # Attribute access to internals (the sandbox's first promise).
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__.os }}",
    "{{ joiner.__init__.__globals__ }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ range.__self__ }}",
    # CVE-2016-10745: str.format on an untrusted string reads attributes.
    "{{ '{0.__class__.__mro__}'.format('') }}",
    "{{ '{0.__globals__}'.format(cycler.__init__) }}",
    # CVE-2019-10906: str.format_map, the same through a mapping.
    "{{ '{a.__class__.__mro__}'.format_map({'a': ''}) }}",
    # CVE-2024-56326: a reference to format kept and called later.
    "{% set f = '{0.__class__.__mro__}'.format %}{{ f('') }}",
    "{{ ('{0.__class__}'.format,)[0]('') }}",
    # CVE-2025-27516: |attr reaches format without the sandbox's getattr.
    "{{ '{0.__class__.__mro__}'|attr('format')('') }}",
    "{{ ''|attr('__class__') }}",
    # |map(attribute=…) and the format filter read through the sandbox too.
    "{{ [''] | map(attribute='__class__') | list }}",
    "{{ '%s'|format(''.__class__) }}",
])
def test_the_escapes_of_jinjas_sandbox_advisories_are_refused(attack):
    [problem] = errors_for(attack)
    assert "unsafe" in problem or "is not a" in problem, problem


def test_the_advisories_escapes_also_fail_at_send_time():
    for attack in ("{{ '{0.__class__.__mro__}'|attr('format')('') }}",
                   "{% set f = '{0.__class__}'.format %}{{ f('') }}"):
        with pytest.raises(Exception, match="unsafe"):
            render_message(version_of(attack), sample_context())


def test_xmlattr_refuses_keys_that_would_inject_attributes():  # CVE-2024-22195, -34064
    [problem] = errors_for('{{ {"onclick=alert(1) x": 1}|xmlattr }}')
    assert "Invalid character" in problem, problem
