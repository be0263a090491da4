"""Hardening, point 2 (issue 15), for the other public endpoints: each has a limit, and past it
the work stops (docs/operations.md, "Rate limits on public endpoints")."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from config.settings.auth import ACCOUNT_RATE_LIMITS as PRODUCTION_RATE_LIMITS
from messaging.links import (
    click_url_for_index,
    one_click_unsubscribe_url,
    open_pixel_url,
    preferences_url,
)
from messaging.models import MessageEvent
from messaging.tests.callbacks_support import make_message, rows
from tests.test_production_mode import _complete_env, _run

LINKS = ["https://shop.example/track"]


def path(url: str) -> str:
    return urlsplit(url).path


def writes(captured: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in captured.captured_queries
            if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]


@pytest.mark.django_db
def test_past_its_budget_a_link_still_works_but_records_nothing(client, personas, settings):
    settings.MESSAGE_LINK_EVENTS_PER_MINUTE = 2
    message = make_message(personas.tenant_a, links=LINKS)
    click = path(click_url_for_index(message, 0))

    for _ in range(2):
        assert client.get(click).status_code == 302
    with CaptureQueriesContext(connection) as captured:
        third = client.get(click)
        pixel = client.get(path(open_pixel_url(message)))

    assert third.status_code == 302 and third["Location"].startswith(LINKS[0])
    assert pixel.status_code == 200 and pixel["Content-Type"] == "image/gif"
    assert writes(captured) == []
    assert {e.kind for e in rows(MessageEvent, personas.tenant_a)} == {"click"}


@pytest.mark.django_db
def test_preference_changes_past_the_budget_are_refused_429(client, personas, settings):
    settings.PREFERENCES_CHANGES_PER_HOUR = 2
    message = make_message(personas.tenant_a)
    page = path(preferences_url(message))

    answers = [client.post(page, {}) for _ in range(2)]
    refused = client.post(page, {})
    one_click = client.post(path(one_click_unsubscribe_url(message)),
                            {"List-Unsubscribe": "One-Click"})

    assert all(a.status_code in (200, 302) for a in answers)
    assert refused.status_code == 429 and 0 < int(refused["Retry-After"]) <= 3600
    assert "try again in" in refused.content.decode()
    assert one_click.status_code == 429
    assert client.get(page).status_code == 200  # reading the page is never refused


@pytest.mark.django_db
def test_five_wrong_passwords_lock_the_account_and_a_reset_by_email_opens_it(client, personas,
                                                                           settings):
    settings.ACCOUNT_RATE_LIMITS = PRODUCTION_RATE_LIMITS  # the test settings turn them off

    def log_in(password: str):
        return client.post("/accounts/login/", {"login": personas.alice.email,
                                                "password": password})

    for _ in range(5):
        assert log_in("wrong").status_code == 200
    locked = log_in("right-password-unknown-to-the-attacker")
    assert locked.status_code == 200 and "Too many failed login attempts" in locked.content.decode()

    client.post("/accounts/password/reset/", {"email": personas.alice.email})
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+)", mail.outbox[-1].body)
    form = client.get(link.group(1), follow=True)
    client.post(form.redirect_chain[-1][0] if form.redirect_chain else link.group(1),
                {"password1": "a-new-long-passphrase-42", "password2": "a-new-long-passphrase-42"})

    assert log_in("a-new-long-passphrase-42").status_code == 302


@pytest.mark.django_db
def test_the_admin_signs_in_through_the_dashboards_sign_in(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_admin_is_off_in_production_unless_turned_on(tmp_path):
    probe = ("from django.urls import resolve, Resolver404\n"
             "try:\n    resolve('/admin/'); print('admin on')\n"
             "except Resolver404:\n    print('admin off')\n")
    off = _run(["manage.py", "shell", "-c", probe], _complete_env(), tmp_path)
    on = _run(["manage.py", "shell", "-c", probe],
              {**_complete_env(), "DOORSTEP_ADMIN_ENABLED": "1"}, tmp_path)
    assert "admin off" in off.stdout, off.stderr
    assert "admin on" in on.stdout, on.stderr
