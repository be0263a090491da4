"""Pytest fixtures that start the fake providers and point the settings (and so the real
SDKs) at them, plus the dispatcher's controlled clock. Loaded for the whole suite by the
root conftest (`pytest_plugins`)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from .easypost import FakeEasyPost
from .sendgrid import FakeSendGrid
from .smtp import FakeSMTP
from .twilio import FakeTwilio

_clock_hours = itertools.count()
# Long enough for loopback, short enough that a hang test takes a second, not ten.
FAKE_TIMEOUT = 1.0


@pytest.fixture
def fake_sendgrid(settings):
    """A fake SendGrid; the platform key is set, so e-mail goes there unless a tenant has its
    own key (which the fake accepts too)."""
    server = FakeSendGrid().start()
    settings.SENDGRID_API_URL = server.url
    settings.SENDGRID_API_KEY = server.platform_key
    settings.MESSAGING_PROVIDER_TIMEOUT = FAKE_TIMEOUT
    yield server
    server.stop()


@pytest.fixture
def fake_twilio(settings):
    """A fake Twilio; the platform account and Messaging Service are set."""
    server = FakeTwilio().start()
    settings.TWILIO_API_URL = server.url
    settings.TWILIO_ACCOUNT_SID = server.account_sid
    settings.TWILIO_AUTH_TOKEN = server.auth_token
    settings.TWILIO_MESSAGING_SERVICE_SID = server.messaging_service_sid
    settings.MESSAGING_PROVIDER_TIMEOUT = FAKE_TIMEOUT
    yield server
    server.stop()


@pytest.fixture
def fake_easypost(settings):
    """A fake EasyPost (return labels): the SDK's base URL points at it. A store buys labels
    with its own API key (its EasyPost credential; `fake_easypost.api_key` is accepted)."""
    server = FakeEasyPost().start()
    settings.EASYPOST_API_URL = server.api_base
    settings.EASYPOST_TIMEOUT = int(FAKE_TIMEOUT)  # whole seconds (the SDK's type)
    yield server
    server.stop()


@pytest.fixture
def fake_smtp(settings):
    """A fake SMTP server as the platform's EMAIL_HOST (no SendGrid key: SMTP is chosen)."""
    server = FakeSMTP().start()
    settings.SENDGRID_API_KEY = ""
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.MESSAGING_PROVIDER_TIMEOUT = FAKE_TIMEOUT
    yield server
    server.stop()


@dataclass
class Clock:
    now: datetime

    def advance(self, **delta) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def dispatch_clock(monkeypatch) -> Clock:
    """The message dispatcher's clock (`messaging.dispatch._now`), frozen at a whole second.
    Rate-limit counters are per second and per tenant id (kept in Redis across tests), so
    each test starts an hour after the previous one: fresh windows."""
    from django.utils import timezone

    from messaging import dispatch

    frozen = Clock(timezone.now().replace(microsecond=0) + timedelta(hours=next(_clock_hours)))
    monkeypatch.setattr(dispatch, "_now", lambda: frozen.now)
    return frozen


@pytest.fixture
def no_rate_limits(settings):
    """Send-rate caps out of the way, for tests about something else."""
    settings.MESSAGING_RATE_LIMITS = {"tenant": 10_000, "sms_sender": 10_000, "sms_service": 10_000}
