"""`make demo` as a newcomer runs it, for the tests: scripts/demo.py in a fresh var folder with
its own embedded PostgreSQL and Redis, its output collected, its processes found by name, and
a store of our own in it driven through the public doors (REST API, signed EasyPost webhooks)
by steady traffic. Used by tests/test_demo.py (its soak) and bench/faults.py (the same soak
with faults injected)."""

from __future__ import annotations

import contextlib
import functools
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from config import embedded
from tracking.carriers.signatures import easypost_signature

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def descendants(pid: int) -> set[int]:
    table = subprocess.run(["ps", "-eo", "pid=,ppid="], capture_output=True, text=True).stdout
    children: dict[int, list[int]] = {}
    for line in table.splitlines():
        child, parent = map(int, line.split())
        children.setdefault(parent, []).append(child)
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state != "Z"


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="ignore")
    except OSError:
        return ""


def _terminal_signals() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGQUIT, signal.SIG_DFL)


class Demo:
    """The demo running in `var_dir` on a free port: `make demo` (as a newcomer runs it), or
    `command`."""

    def __init__(self, var_dir: Path, command: list[str] | None = None, **env: str):
        self.command = command or ["make", "--no-print-directory", "demo"]
        self.var_dir = var_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"),
                    "DOORSTEP_VAR_DIR": str(var_dir), "DEMO_PORT": str(self.port), **env}
        self.output: list[str] = []
        self.ready = threading.Event()
        self.seen: set[int] = set()  # every process of the demo's we saw, for the cleanup
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 240) -> Demo:
        # As from a terminal: SIGINT and SIGQUIT at their defaults. A test run started in the
        # background by a non-interactive shell (`bash .ci/run &`) inherits them ignored, and
        # a make that starts with SIGINT ignored never handles `kill -INT` at all.
        self.proc = subprocess.Popen(self.command, cwd=ROOT, env=self.env,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, start_new_session=True,
                                     preexec_fn=_terminal_signals)  # noqa: PLW1509
        threading.Thread(target=self._drain, daemon=True).start()
        if not self.ready.wait(timeout):
            raise AssertionError("the demo did not come up:\n" + self.tail())
        self.remember()
        return self

    def _drain(self) -> None:  # keep the pipe empty so no child ever blocks on its output
        for line in self.proc.stdout:
            self.output.append(line)
            if "Press Ctrl-C" in line:  # the banner's last line
                self.ready.set()

    def tail(self, lines: int = 60) -> str:
        return "".join(self.output[-lines:])

    def text(self) -> str:
        return "".join(self.output)

    def remember(self) -> set[int]:
        self.seen |= descendants(self.proc.pid)
        return self.seen

    def pids(self, needle: str) -> list[int]:
        """The demo's live processes whose command line has `needle`, oldest first."""
        return sorted(p for p in descendants(self.proc.pid) if running(p) and needle in cmdline(p))

    def get(self, path: str, timeout: float = 10) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=timeout) as response:  # noqa: S310
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def manage(self, *args: str) -> str:
        env = {**self.env, **embedded.EmbeddedStack(self.var_dir).env()}
        done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def sql(self, query: str, params: tuple = ()) -> list[tuple]:
        with psycopg.connect(host=str(embedded.socket_dir(self.var_dir)), user="postgres",
                             dbname=embedded.DATABASE_NAME) as conn:
            return conn.execute(query, params).fetchall()

    def stop(self, signum: int = signal.SIGINT, timeout: float = 60) -> int:
        """What Ctrl-C does; returns the exit status once every process it started is gone."""
        self.remember()
        self.proc.send_signal(signum)
        status = self.proc.wait(timeout=timeout)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(running(p) for p in self.seen):
            time.sleep(0.2)
        return status

    def left_behind(self) -> list[int]:
        return [p for p in self.seen if running(p)]

    def kill_everything(self) -> None:
        """Only for a test that failed half-way: end exactly the processes it saw start."""
        if self.proc is not None and self.proc.poll() is None:
            self.remember()
            self.proc.kill()
        for pid in self.seen:
            if running(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


# --- a store of our own in the demo, driven as a retailer's systems and a carrier would --

EASYPOST_SECRET = "whsec-soak"
PRODUCT = {"external_id": "p-soak", "title": "Soak Tent", "price": "99.00", "currency": "EUR",
           "sku": "SOAK-1"}
# The default journey's e-mails for an order followed to delivery (review requests come days
# later, after the test).
MILESTONES = ("order_confirmed", "shipped", "out_for_delivery", "delivered")
SCANS = ("in_transit", "out_for_delivery", "delivered")


class Store:
    """A store of our own in the demo. With `sms`, its shoppers give a mobile number and
    consent to transactional SMS (the default journey texts three milestones)."""

    def __init__(self, demo: Demo, slug: str = "soak", *, sms: bool = False):
        self.demo, self.slug, self.sms = demo, slug, sms
        created = json.loads(demo.manage("create_tenant", slug, "--name", "Soak Store",
                                         "--owner-email", f"owner@{slug}.test"))
        self.key = created["api_key"]["key"]
        self.tenant_id = created["tenant"]["id"]
        self.owner = (created["owner"]["email"], created["owner"]["password"])
        self.placed: dict[int, datetime] = {}  # order n → when it was placed: its scans' times
        self.api("PUT", "/api/v1/credentials/easypost/", {"webhook_secret": EASYPOST_SECRET})
        self.api("POST", "/api/v1/products/", [PRODUCT])

    def post(self, path: str, body: bytes, headers: dict[str, str], method: str = "POST") -> int:
        """The status of one request (0: no answer at all); never raises."""
        request = urllib.request.Request(self.demo.url + path, data=body, method=method,
                                         headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
                response.read()
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except (OSError, http.client.HTTPException):
            return 0

    def api(self, method: str, path: str, body) -> dict:
        request = urllib.request.Request(
            self.demo.url + path, data=json.dumps(body).encode(), method=method,
            headers={"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            assert response.status in (200, 201, 202), (path, response.status)
            return json.loads(response.read() or b"null")

    def _api_status(self, path: str, body) -> int:
        return self.post(path, json.dumps(body).encode(),
                         {"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"})

    def order(self, n: int) -> int:
        self.placed.setdefault(n, datetime.now(UTC))
        customer: dict[str, object] = {"external_id": f"c-{n}", "email": f"shopper{n}@soak.test",
                    "first_name": "Sam", "last_name": "Soak", "locale": "en"}
        if self.sms:
            customer |= {"phone": f"+49151{n:08d}", "consents": {"transactional_sms": True},
                         "timezone": daytime_zone()}
        return self._api_status("/api/v1/orders/", {
            "external_id": f"soak-{n}", "number": f"#S{n}", "currency": "EUR",
            "placed_at": self.placed[n].isoformat(), "customer": customer,
            "lines": [{"title": PRODUCT["title"], "quantity": 1, "unit_price": PRODUCT["price"],
                       "sku": PRODUCT["sku"], "product_external_id": PRODUCT["external_id"]}],
            "shipping_address": {"name": "Sam Soak", "city": "Berlin", "postcode": "10115",
                                 "country_code": "DE"},
        })

    def ship(self, n: int) -> int:
        return self._api_status("/api/v1/shipments/", {
            "carrier": "USPS", "tracking_number": tracking_number(n),
            "order_external_id": f"soak-{n}", "items": [{"line": 1, "quantity": 1}]})

    def scan(self, n: int, upto: int) -> int:
        """The carrier's `tracker.updated` with the first `upto` scans, signed as EasyPost
        signs, to the store's webhook URL. A scan keeps its time however often it is sent
        (a second apart from the order's placing), as a carrier's does."""
        placed = self.placed.setdefault(n, datetime.now(UTC))
        scans = [(status, placed + timedelta(seconds=i)) for i, status in enumerate(SCANS[:upto])]
        body = json.dumps({
            "id": f"evt_{n}_{upto}", "object": "Event", "description": "tracker.updated",
            "mode": "test", "result": {
                "id": f"trk_{n}", "object": "Tracker", "tracking_code": tracking_number(n),
                "carrier": "USPS", "status": scans[-1][0], "est_delivery_date": None,
                "tracking_details": [
                    {"object": "TrackingDetail", "message": f"{status} scan", "status": status,
                     "status_detail": None, "datetime": when.isoformat().replace("+00:00", "Z"),
                     "source": "USPS", "tracking_location": {"city": "BERLIN", "country": "DE"}}
                    for status, when in scans]},
        }).encode()
        return self.post(f"/webhooks/easypost/{self.slug}/", body, {
            "Content-Type": "application/json",
            "X-Hmac-Signature": easypost_signature(body, EASYPOST_SECRET)})

    def messages(self) -> list[tuple[int, str, str, str]]:
        """(id, milestone, channel, status) of every message of this store."""
        return self.demo.sql("SELECT id, milestone, channel, status FROM messaging_message "
                             "WHERE tenant_id = %s ORDER BY id", (self.tenant_id,))


class Traffic:
    """Steady traffic to a store: `rate` orders a second, each shipped at once and scanned
    three times over the next three seconds (signed EasyPost webhooks), the newest orders'
    remaining scans sent after the last.

    Strict (the soak), an answer other than 2xx fails the run. Otherwise each step is tried
    again a second later until it is answered 2xx, in its order's sequence, as a carrier
    retries a webhook and a retailer's system an API call: a fault delays traffic and loses
    none of it. `offered` holds (order, scan status) for every scan in a webhook answered
    2xx, `refused` counts the answers that were not."""

    def __init__(self, store: Store, *, rate: float = 1.0, strict: bool = True):
        self.store, self.rate, self.strict = store, rate, strict
        self.offered: set[tuple[int, str]] = set()
        self.refused = 0
        self.last = 0  # the newest order so far

    def run(self, start: int, seconds: float, *, stop: Callable[[], bool] | None = None) -> int:
        """Orders start + 1 … for `seconds` (or until `stop()`), then until every step of
        them went through; returns how many orders there are now in all."""
        store, n = self.store, start
        pending: dict[int, deque[tuple[float, functools.partial[int], str]]] = {}
        deadline = time.monotonic() + seconds
        while True:
            tick = time.monotonic()
            if tick < deadline and not (stop and stop()):
                n += 1
                self.last = n
                pending[n] = deque([(tick, functools.partial(store.order, n), ""),
                                    (tick, functools.partial(store.ship, n), "")])
                for upto in range(1, len(SCANS) + 1):
                    pending[n].append((tick + upto, functools.partial(store.scan, n, upto),
                                       SCANS[upto - 1]))
            elif not pending:
                return n
            for order in list(pending):
                steps = pending[order]
                while steps and steps[0][0] <= time.monotonic():
                    _, step, scan = steps[0]
                    status = step()
                    if not 200 <= status < 300:
                        if self.strict:
                            raise AssertionError(f"order {order}: {step.func.__name__} answered "
                                                 f"{status}")
                        self.refused += 1
                        break
                    if scan:
                        self.offered |= {(order, s) for s in SCANS[:SCANS.index(scan) + 1]}
                    steps.popleft()
                if not steps:
                    del pending[order]
            time.sleep(max(0.0, 1 / self.rate - (time.monotonic() - tick)))


def daytime_zone() -> str:
    """A time zone where it is early afternoon now: text messages wait out the shopper's
    night (quiet hours), and a run at any hour should see them sent."""
    offset = (13 - datetime.now(UTC).hour + 12) % 24 - 12  # UTC-12 … UTC+11
    return f"Etc/GMT{-offset:+d}" if offset else "UTC"  # POSIX: Etc/GMT-2 is UTC+2


def tracking_number(n: int) -> str:
    return f"9400111{n:015d}"
