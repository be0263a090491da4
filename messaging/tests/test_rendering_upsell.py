"""The default upsell e-mail: in every default locale, the recommendations block with a few
words around it, shown only when the message may carry marketing (sending it only with
marketing consent: tests/test_messaging_end_to_end.py)."""

from __future__ import annotations

import pytest

from messaging.rendering.context import sample_context
from messaging.rendering.defaults import (
    DEFAULT_LOCALES,
    MARKETING_MILESTONES,
    copy,
    default_content,
    default_email_html,
    default_templates,
)


@pytest.mark.parametrize("locale", DEFAULT_LOCALES)
def test_the_upsell_email_shows_the_recommendations_in_the_shoppers_language(locale):
    context = sample_context(locale=locale, milestone="upsell")
    [product] = context["recommendations"]
    html = default_email_html("upsell", locale, context)
    words = copy(locale)
    assert words["common"]["recommendations_heading"] in html
    assert product["title"] in html and f'href="{product["url"]}"' in html
    assert "{{ order.number }}" in default_content("upsell", "email", locale)["subject"]
    assert f'lang="{locale}"' in html


@pytest.mark.parametrize("locale", DEFAULT_LOCALES)
def test_without_marketing_the_upsell_email_has_no_products(locale):
    context = {**sample_context(locale=locale, milestone="upsell"), "include_marketing": False}
    html = default_email_html("upsell", locale, context)
    assert copy(locale)["common"]["recommendations_heading"] not in html
    assert context["recommendations"][0]["title"] not in html


def test_the_upsell_template_is_a_default_one_with_marketing_content():
    [spec] = [s for s in default_templates() if s.milestone == "upsell"]
    assert (spec.key, spec.channel, spec.has_marketing_content) == ("upsell-email", "email", True)
    assert "upsell" in MARKETING_MILESTONES
