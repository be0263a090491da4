"""The brand layout in MJML, compiled once: Jinja2 survives MJML and CSS inlining wherever the
documentation says it may sit, and MJML mistakes are reported with their line."""

from __future__ import annotations

import pytest

from messaging.rendering import MJML_COMPILES, render_message, sample_context
from messaging.rendering.compile import SourceError, compile_email, mjml_check

ROWS = """<mj-section>
  <mj-column>
    <mj-table>
      {% for line in line_items %}
      <tr><td>{{ line.title }}</td><td>{{ line.quantity }}</td></tr>
      {% endfor %}
    </mj-table>
    <mj-button href="{{ tracking_url }}" background-color="{{ brand.accent_color }}">Track</mj-button>
    <mj-image src="{{ brand.logo_url }}" alt="{{ brand.name }}" />
    <mj-text>{% if order.total > 100 %}Free shipping!{% endif %} {{ 'a' if 2 > 1 else 'b' }}</mj-text>
  </mj-column>
</mj-section>"""


class Version:
    def __init__(self, compiled_html: str, subject: str = "Hi", text_body: str = "") -> None:
        self.pk, self.locale, self.subject, self.preheader = None, "en", subject, "Preview text"
        self.compiled_html, self.text_body, self.body = compiled_html, text_body, ""
        self.template = type("T", (), {"channel": "email"})()


def test_jinja_in_text_attributes_and_around_table_rows_survives_compilation():
    html = compile_email(ROWS, locale="en")
    assert "{% for line in line_items %}" in html
    assert html.index("{% for line in line_items %}") < html.index("{{ line.title }}") < html.index(
        "{% endfor %}")
    assert 'href="{{ tracking_url }}"' in html
    assert "{{ brand.accent_color }}" in html
    assert "{% if order.total > 100 %}" in html
    assert "{{ 'a' if 2 > 1 else 'b' }}" in html


def test_the_compiled_rows_render_one_per_line_item():
    rendered = render_message(Version(compile_email(ROWS, locale="en")), sample_context())
    assert rendered.html.count("Trail 2 Tent</td>") == 1
    assert rendered.html.count("Cloud Sleeping Mat</td>") == 1
    assert "Free shipping!" in rendered.html


def test_the_layout_carries_the_brand_colours_font_and_footer():
    context = sample_context()
    context["brand"].update(primary_color="#0F766E", font_stack="Georgia, serif",
                            footer_text="Alpha GmbH, Bergweg 1", legal_text="VAT DE123")
    rendered = render_message(Version(compile_email(ROWS, locale="en")), context)
    assert "#0F766E" in rendered.html
    assert "font-family:Georgia, serif" in rendered.html.replace(": ", ":")
    assert "Alpha GmbH, Bergweg 1" in rendered.html and "VAT DE123" in rendered.html
    assert context["preferences_url"] in rendered.html
    assert '<html lang="en"' in rendered.html
    assert "Preview text" in rendered.html


def test_css_is_inlined_and_media_queries_kept():
    html = compile_email(ROWS, locale="en")
    assert "@media" in html
    assert "<mj-style" not in html


def test_the_layout_words_are_in_the_versions_locale():
    assert "Benachrichtigungen verwalten" in compile_email(ROWS, locale="de")
    assert "Préférences de notification" in compile_email(ROWS, locale="fr")


def test_every_compile_is_counted():
    before = MJML_COMPILES.total
    compile_email(ROWS, locale="en")
    compile_email(ROWS, locale="en")
    assert MJML_COMPILES.total == before + 2


@pytest.mark.parametrize(("body", "line", "words"), [
    ("<mj-section>\n<mj-column>\n<mj-sektion></mj-sektion>\n</mj-column>\n</mj-section>", 3,
     "<mj-sektion> is not an MJML element"),
    ("<mj-section>\n<mj-column>\n<mj-text>x</mj-text>\n</mj-colum>\n</mj-section>", 4,
     "</mj-colum>"),
    ("<mj-section>\n<mj-column>\n<mj-text>x</mj-text>\n</mj-section>", 4,
     "expected </mj-column> (opened on line 2)"),
    ("<mj-section>\n  <mj-column>\n<mj-text>x</mj-text>", 2, "<mj-column> is never closed"),
    ('<mj-include path="/etc/passwd" />', 1, "includes are not available"),
])
def test_mjml_mistakes_are_reported_with_their_line(body, line, words):
    with pytest.raises(SourceError) as caught:
        mjml_check(body)
    assert caught.value.line == line
    assert words in caught.value.message


def test_html_inside_mj_text_is_not_checked_as_mjml():
    mjml_check("<mj-section><mj-column><mj-text><b>bold<br></mj-text></mj-column></mj-section>")


def test_an_mjml_parse_error_is_readable():
    with pytest.raises(SourceError) as caught:
        compile_email("<mj-section><mj-column><mj-text>1 < 2</mj-text></mj-column></mj-section>",
                      locale="en")
    assert caught.value.message.startswith("MJML could not be compiled")
