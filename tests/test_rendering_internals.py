"""What messaging/rendering/render.py's `_render` relies on in Jinja, pinned: a context made
by `jinja2.runtime.new_context(…, shared=True)` reads the scope as it is, and
`Template.root_render_func` renders it exactly as `Template.render` would, errors included.
Each assertion names what changed; the public way to fall back on is `template.render(scope)`."""

from __future__ import annotations

import pytest

from messaging.rendering.environment import send_env
from messaging.rendering.render import _render

SOURCE = """{% macro pair(k, v) %}{{ k }}={{ v }}{% endmacro -%}
{% set total = namespace(n=0) %}{% for item in items %}{% set total.n = total.n + item %}
{{ pair(loop.index, item) }}{% endfor %} {{ total.n }} {{ name | upper }} {{ "<b>" }}
{% block footer %}{{ range(3) | list }}{% endblock %}{% set local = 1 %}{{ local }}"""


def scope_of(template, **values):
    return {**dict(template.globals), **values}


def test_it_renders_what_template_render_renders():
    template = send_env.from_string(SOURCE)
    scope = scope_of(template, items=[1, 2, 3], name="sam")

    assert _render(template, scope) == template.render(items=[1, 2, 3], name="sam"), (
        "Jinja: root_render_func over new_context(shared=True) no longer renders what "
        "Template.render does: use template.render(scope) in _render")


def test_the_shared_scope_is_read_not_copied_nor_written():
    from jinja2.runtime import new_context

    template = send_env.from_string(SOURCE)
    scope = scope_of(template, items=[1], name="x")
    before = dict(scope)
    context = new_context(template.environment, template.name, template.blocks, scope,
                          shared=True)

    assert context.parent is scope, (
        "Jinja: new_context(shared=True) copies the scope now: the shortcut buys nothing")
    _render(template, scope)
    assert scope == before, "Jinja: a render wrote into the shared scope ({% set %} leaked)"


def test_errors_come_out_as_templates_errors():
    template = send_env.from_string("line one\n{{ 1 // zero }}")

    with pytest.raises(ZeroDivisionError) as raised:
        _render(template, scope_of(template, zero=0))
    lines, tb = [], raised.tb
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            lines.append(tb.tb_lineno)
        tb = tb.tb_next
    assert lines == [2], "Jinja: handle_exception no longer points at the template's line"
