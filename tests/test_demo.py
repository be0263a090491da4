"""`make demo` end to end, as a newcomer runs it: its own PostgreSQL and Redis under a fresh
var folder, the seeded store, the supervisor that restarts what dies, a soak under steady
webhook and message traffic, and stopping (kill -INT of make, Ctrl-C) that leaves nothing
behind. One demo serves the module's tests in order (starting one costs half a minute).

The soak lasts DOORSTEP_SOAK_SECONDS (CI: the quick default; `make soak`: ten minutes). Its
e-mails go through the real SendGrid SDK to a fake SendGrid on loopback, which counts each
message's requests: none may be lost, none sent twice.
"""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.demo_stack import MILESTONES, ROOT, Demo, Store, Traffic, running
from tests.fakes.sendgrid import FakeSendGrid

SOAK_SECONDS = float(os.environ.get("DOORSTEP_SOAK_SECONDS", "40"))
SETTLE_SECONDS = 150  # beat dispatches every 10 s; a restarted worker takes a few seconds
FINAL = {"sent", "suppressed"}


@pytest.fixture(scope="module")
def sendgrid():
    server = FakeSendGrid().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def demo(tmp_path_factory, sendgrid):
    """`make demo` with nothing configured but a fake SendGrid (so every e-mail is counted)."""
    demo = Demo(tmp_path_factory.mktemp("demo") / "var",
                SENDGRID_API_KEY=sendgrid.platform_key, SENDGRID_API_URL=sendgrid.url,
                MESSAGING_PROVIDER_TIMEOUT="5")
    try:
        yield demo.start()
    finally:
        demo.kill_everything()


def test_the_demo_runs_on_its_own_postgresql_and_redis_and_says_how_to_log_in(demo):
    banner = demo.text()
    assert f"http://localhost:{demo.port}/" in banner
    for email in ("demo@acme.test", "agent@acme.test", "viewer@acme.test"):
        assert email in banner
    assert "Seeded demo tenant 'Acme Outdoor'" in banner
    status, body = demo.get("/healthz")
    assert status == 200
    assert b'"detail": "postgresql"' in body and b'"detail": "redis"' in body
    # the servers are the embedded ones, in the demo's own var folder
    assert demo.pids(f"-D {demo.var_dir}/postgres") and demo.pids("redis-server")
    assert demo.sql("SELECT current_setting('server_version_num')::int / 10000")[0][0] == 16
    assert len(demo.pids("celery -A config worker")) >= 1
    assert len(demo.pids("celery -A config beat")) == 1


def test_links_point_at_the_running_demo(demo):
    """DEMO_PORT carries into PUBLIC_BASE_URL: what the web app puts in links is this port."""
    status, body = demo.get("/accounts/login/")
    assert status == 200
    store = Store(demo, slug="links")
    store.order(1)
    deadline = time.monotonic() + SETTLE_SECONDS
    html = []
    while time.monotonic() < deadline and not html:
        html = demo.sql("SELECT 1 FROM messaging_message WHERE tenant_id = %s AND status = 'sent'",
                        (store.tenant_id,))
        time.sleep(1)
    assert html, "the order confirmation was not sent"
    [(body,)] = demo.sql("SELECT text_body FROM messaging_message WHERE tenant_id = %s",
                         (store.tenant_id,))
    assert f"http://localhost:{demo.port}/" in body
    assert "localhost:8000" not in body


def test_a_soak_with_a_killed_worker_loses_no_message_and_sends_none_twice(demo, sendgrid):
    store = Store(demo)
    workers_before = demo.pids("celery -A config worker")
    orders = _traffic(store, 0, SOAK_SECONDS / 2)
    _settle(store, orders)

    # the worker's main process is killed outright: the supervisor starts another
    os.kill(workers_before[0], signal.SIGKILL)
    _wait(lambda: "worker exited (killed by SIGKILL): starting it again" in demo.text(),
          what="the supervisor's restart")
    _wait(lambda: any(p not in workers_before for p in demo.pids("celery -A config worker")),
          what="a new worker")

    orders = _traffic(store, orders, SOAK_SECONDS / 2)
    messages = _settle(store, orders)

    # every order's journey was planned, and SendGrid got each sent e-mail exactly once and
    # nothing else of ours
    planned = collections.Counter(m[1] for m in messages if m[2] == "email")
    assert {milestone: planned[milestone] for milestone in MILESTONES} == \
        {milestone: orders for milestone in MILESTONES}
    requests = collections.Counter(
        int(mail["custom_args"]["doorstep_message_id"]) for mail in list(sendgrid.mails))
    wrong = {pk: (status, requests[pk]) for pk, _, _, status in messages
             if requests[pk] != (1 if status == "sent" else 0)}
    assert wrong == {}, "lost, sent twice, or sent though suppressed"
    print(f"\nsoak: {orders} orders over {SOAK_SECONDS:.0f} s, {len(messages)} messages, "
          f"{sum(1 for m in messages if m[3] == 'sent')} sent once each, worker killed and restarted")
    # nothing else died: the one restart is the one we caused
    assert demo.text().count("exited (") == 1, demo.tail()
    assert all(running(p) for p in demo.pids("celery"))


def test_kill_int_of_make_stops_everything_within_seconds(demo):
    make = demo.proc.pid
    demo.remember()
    started = time.monotonic()
    os.kill(make, signal.SIGINT)  # make alone, not its process group
    try:
        status = demo.proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        raise AssertionError("make did not end within 30 s:\n" + demo.tail()) from None
    assert status == -signal.SIGINT  # make ends by the signal it got
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and demo.left_behind():
        time.sleep(0.2)
    assert demo.left_behind() == [], "processes left behind"
    assert time.monotonic() - started < 15
    assert "make received SIGINT: shutting down" in demo.text()


def test_ctrl_c_stops_everything_and_the_next_run_keeps_the_data(demo, sendgrid):
    """A second run on the same var folder: the servers start again with the data of the
    first (no second seed), and a Ctrl-C (SIGINT to the terminal's process group) stops it."""
    again = Demo(demo.var_dir, [sys.executable, "scripts/demo.py"],
                 **{k: v for k, v in demo.env.items() if k.startswith(("SENDGRID", "MESSAGING"))})
    try:
        again.start()
        assert "created the embedded" not in again.text().lower()
        assert again.sql("SELECT count(*) FROM tenants_tenant WHERE slug = 'soak'")[0][0] == 1
        again.remember()
        os.killpg(again.proc.pid, signal.SIGINT)  # what Ctrl-C sends: the whole group
        assert again.proc.wait(timeout=30) == 0, again.tail()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and again.left_behind():
            time.sleep(0.2)
        assert again.left_behind() == [], "processes left behind"
    finally:
        again.kill_everything()


# --- traffic -------------------------------------------------------------------------------

def _traffic(store: Store, start: int, seconds: float) -> int:
    """An order a second, each shipped at once and scanned three times over the next three
    seconds; returns how many orders there are now in all."""
    return Traffic(store).run(start, seconds)


def _settle(store: Store, orders: int) -> list[tuple]:
    """Wait until every message of the store's `orders` orders is final: sent, or suppressed
    with a reason (an SMS to a shopper who gave no number; a "shipped" e-mail overtaken by
    "out for delivery" before it went; a review request without marketing consent). Each
    order's confirmation and its delivery e-mail must be sent. Returns the messages."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        messages = store.messages()
        final = all(m[3] in FINAL for m in messages)
        sent = collections.Counter(m[1] for m in messages if m[2] == "email" and m[3] == "sent")
        if final and sent["order_confirmed"] == orders and sent["delivered"] == orders:
            return messages
        if time.monotonic() > deadline:
            seen = collections.Counter(m[1:] for m in messages)
            raise AssertionError(f"{orders} orders; (milestone, channel, status): {dict(seen)}")
        time.sleep(1)


def _wait(condition, *, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout:.0f} s")
        time.sleep(0.2)


def test_make_runs_at_the_checkout_root():  # a guard for the fixture's `make demo`
    assert (ROOT / "Makefile").exists() and subprocess.run(
        ["make", "-n", "demo"], cwd=ROOT, capture_output=True).returncode == 0
