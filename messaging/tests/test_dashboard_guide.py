"""The template guide page: docs/templates.md rendered in the dashboard, for members only,
with any markup in the file shown as text, never run."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db
GUIDE = reverse("messaging:template-guide")


def test_a_visitor_who_is_not_logged_in_is_sent_to_log_in(client):
    response = client.get(GUIDE)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_agent_reads_the_guide_as_html_with_its_tables_and_contents(client, personas):
    client.force_login(personas.bob)
    body = client.get(GUIDE).content.decode()
    assert "<h1>Message templates: the reference for retailers</h1>" in body
    assert '<h2 id="variables">Variables</h2>' in body and 'href="#variables"' in body
    assert '<td class="cell-main"><code>order.number</code></td>' in body
    # An escaped pipe in a table cell is a pipe, not a column break.
    assert "<code>{{ order.placed_at|date }}</code>" in body
    assert 'href="https://jinja.palletsprojects.com/templates/" target="_blank"' in body


def test_markup_in_the_guide_is_escaped_and_script_links_are_dropped(
        client, personas, tmp_path, monkeypatch):
    guide = tmp_path / "templates.md"
    guide.write_text("# Guide\n\n<script>alert(1)</script>\n\n[click](javascript:alert(1))\n"
                     "\n<img src=x onerror=alert(1)>\n", encoding="utf-8")
    monkeypatch.setattr("messaging.dashboard.guide.GUIDE", guide)
    client.force_login(personas.alice)
    body = client.get(GUIDE).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "<script>alert(1)" not in body
    assert 'href="javascript:' not in body and "<img src=x" not in body


def test_the_guide_follows_the_file_when_it_changes(client, personas, tmp_path, monkeypatch):
    guide = tmp_path / "templates.md"
    monkeypatch.setattr("messaging.dashboard.guide.GUIDE", guide)
    client.force_login(personas.alice)
    guide.write_text("# Guide\n\nFirst words.\n", encoding="utf-8")
    assert "First words." in client.get(GUIDE).content.decode()
    guide.write_text("# Guide\n\nSecond words, longer.\n", encoding="utf-8")
    assert "Second words, longer." in client.get(GUIDE).content.decode()
