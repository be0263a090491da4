"""The watch every browser test runs under (conftest.CspWatch) sees what Chromium refuses
under a page's Content-Security-Policy; the pages themselves are checked by every other
browser test, which fails on any violation."""

from __future__ import annotations

from tenants.tests.factories import DEFAULT_PASSWORD

from .conftest import log_in


def test_the_watch_sees_a_style_the_dashboards_policy_refuses(page, personas, csp_watch):
    log_in(page, personas.alice.email, DEFAULT_PASSWORD)
    page.goto("/")
    assert csp_watch.settled() == []

    with page.expect_console_message(lambda m: "Content Security Policy" in m.text):
        page.evaluate("document.body.setAttribute('style', 'color: red')")
    assert [v for v in csp_watch.settled() if "style-src" in v]
    assert page.evaluate("getComputedStyle(document.body).color") != "rgb(255, 0, 0)"
    csp_watch.violations.clear()  # caused on purpose: this test passes
