"""config.ratelimit: the one fixed-window counter (Redis) and who is asking behind proxies."""

import uuid
from datetime import UTC, datetime, timedelta

from django.test import RequestFactory

from config.ratelimit import client_address, window_count

START = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # a whole number of 900 s windows


def test_a_window_counts_every_take_and_says_when_it_ends():
    key = f"test:{uuid.uuid4()}"  # Redis outlives the test run
    assert window_count(key, 900, now=START) == (1, 900.0)
    assert window_count(key, 900, 2, now=START + timedelta(seconds=600)) == (3, 300.0)
    # The next window starts from nothing.
    assert window_count(key, 900, now=START + timedelta(seconds=900)) == (1, 900.0)


def test_the_client_address_is_the_peer_unless_proxies_are_trusted(settings):
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2",
                                   HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
    settings.TRUSTED_PROXY_HOPS = 0
    assert client_address(request) == "10.0.0.2"
    settings.TRUSTED_PROXY_HOPS = 1  # the proxy appended the address it saw: the last entry
    assert client_address(request) == "203.0.113.7"
    settings.TRUSTED_PROXY_HOPS = 2
    assert client_address(request) == "6.6.6.6"
    settings.TRUSTED_PROXY_HOPS = 3  # fewer entries than proxies: not believed
    assert client_address(request) == "10.0.0.2"
    garbage = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="<script>")
    settings.TRUSTED_PROXY_HOPS = 1
    assert client_address(garbage) == "10.0.0.2"
