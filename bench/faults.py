"""Fault injection, measured: steady webhook and message traffic through the real stack while,
in turn, Redis is stopped, Celery workers are SIGKILLed mid-send, PostgreSQL is restarted
and the providers answer 429, then 5xx, then nothing. For each fault: what was offered, what
was applied and sent, what was lost or duplicated, how many messages were surfaced
`uncertain` (and found in the dashboard), and how long the backlog took to drain.

    faults.py ─┬─ PostgreSQL 16 + Redis (config.embedded) in a fresh temp folder, owned here:
               │  the only servers this bench stops (never the machine's)
               ├─ fake SendGrid + fake Twilio (tests/fakes), threads of this process
               ├─ scripts/demo.py (tests.demo_stack.Demo): migrate, seed, then web + worker +
               │  beat under its supervisor, which restarts a killed worker
               └─ a store (tests.demo_stack.Store, shoppers with SMS consent) under
                  tests.demo_stack.Traffic, which retries what is refused as a carrier and a
                  retailer's system would

Each phase: traffic throughout; the fault after `--before` seconds. Its backlog is what was
ordered until `--after` seconds past the fault's end; recovery is timed from the end of the
fault until every scan offered for the backlog is a TrackingEvent and every message its
orders should have is planned and final, traffic still coming. Then traffic stops, the
phase's last orders settle, and all of them are counted. The baseline phase has no fault (its
"end" is the same moment): the ratio says how much longer a fault makes the drain than
traffic alone. Sweep timing: see --help (the full form keeps production's, but for how soon
an interrupted send becomes `uncertain`).

Counted per phase (its orders only):
    events offered    distinct scans in EasyPost webhooks answered 2xx
    events applied    those scans stored as TrackingEvent rows (dups: rows beyond one a scan)
    messages due      messages planned for the orders, plus any the default journey should
                      have planned and did not (those are lost)
    sent              messages the provider accepted (sent, delivered, opened…)
    duplicates        messages the fake provider got more than once (answered 2xx, or held
                      past our timeout), by our id in the request; + events applied twice
    lost              scans offered and not applied; messages missing, not final, or `sent`
                      though the provider never got them
    uncertain         messages surfaced `uncertain`, and how many of them the dashboard's
                      message list (status filter, as the retailer sees it) shows
    recover_s         seconds from the fault's end until drained

Exit status 1 for wrong results: anything lost or duplicated, an uncertain message missing
from the dashboard, a phase that did not drain within `--drain-timeout`.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.cookiejar
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _harness import print_header, print_line, sigterm_as_interrupt  # noqa: E402

from config import embedded  # noqa: E402
from scripts.demo import RESTART_WINDOW, RESTARTS_ALLOWED  # noqa: E402
from tests.demo_stack import MILESTONES, Demo, Store, Traffic, tracking_number  # noqa: E402
from tests.fakes.sendgrid import FakeSendGrid  # noqa: E402
from tests.fakes.twilio import FakeTwilio  # noqa: E402

ACCEPTED = {"sent", "delivered", "opened", "clicked", "bounced"}  # the provider took it
FINAL = ACCEPTED | {"failed", "suppressed", "uncertain"}
WORKER = "celery -A config worker"
# The default journey's SMS (messaging/journeys/defaults.py) for a shopper who consented.
SMS_MILESTONES = ("out_for_delivery", "delivered")


@dataclass
class Result:
    name: str
    orders: tuple[int, int] = (0, 0)
    offered: int = 0
    applied: int = 0
    due: int = 0
    sent: int = 0
    duplicates: int = 0
    lost: int = 0
    uncertain: int = 0
    in_dashboard: int = 0
    recover_s: float = float("nan")
    notes: list[str] = field(default_factory=list)


# --- the stack -------------------------------------------------------------------------

class Bench:
    store: Store  # once started

    def __init__(self, args: argparse.Namespace, var: Path, stack: embedded.EmbeddedStack,
                 sendgrid: FakeSendGrid, twilio: FakeTwilio):
        self.args, self.var, self.stack = args, var, stack
        self.sendgrid, self.twilio = sendgrid, twilio
        self.demo = Demo(var, [sys.executable, "scripts/demo.py"], **stack.env(),
                         DEMO_LIVE_PARCELS="0", LOG_LEVEL="WARNING",
                         SENDGRID_API_KEY=sendgrid.platform_key, SENDGRID_API_URL=sendgrid.url,
                         TWILIO_ACCOUNT_SID=twilio.account_sid, TWILIO_AUTH_TOKEN=twilio.auth_token,
                         TWILIO_MESSAGING_SERVICE_SID=twilio.messaging_service_sid,
                         TWILIO_API_URL=twilio.url,
                         MESSAGING_PROVIDER_TIMEOUT=str(args.provider_timeout),
                         MESSAGING_SWEEP_SECONDS=str(args.sweep_every),
                         INGEST_SWEEP_SECONDS=str(args.sweep_every),
                         INGEST_SWEEP_AFTER_SECONDS=str(args.ingest_sweep_after),
                         MESSAGING_SENDING_STUCK_SECONDS=str(args.stuck_after),
                         MESSAGING_QUEUED_STUCK_SECONDS=str(args.stuck_after),
                         MESSAGING_RATE_TENANT="1000", MESSAGING_RATE_SMS_SERVICE="1000")
        self.orders = 0

    def start(self) -> None:
        self.demo.start()
        self.store = Store(self.demo, slug="faults", sms=True)

    # --- phases
    def phase(self, name: str, inject: Callable[[], list[str]] | None) -> Result:
        """Traffic throughout; the fault (`inject` returns when it is over, with notes). The
        backlog is what was ordered until `--after` seconds past the fault's end: recovery
        is timed until it is drained, with traffic still coming (as it would), then the
        traffic stops and every order of the phase must settle and is counted."""
        args, store = self.args, self.store
        traffic = Traffic(store, rate=args.rate, strict=False)
        first, stop = self.orders + 1, threading.Event()
        runner = threading.Thread(target=traffic.run, args=(self.orders, 10**9),
                                  kwargs={"stop": stop.is_set}, daemon=True)
        runner.start()
        time.sleep(args.before)
        notes = inject() if inject else []
        fault_ended = time.monotonic()
        time.sleep(args.after)
        backlog = (first, traffic.last)
        drained = self.wait_drained(backlog, lambda: traffic.offered, fault_ended)
        stop.set()
        runner.join(args.drain_timeout)
        result = Result(name, notes=notes)
        if runner.is_alive():
            result.notes.append("traffic was still being refused at the drain timeout")
        self.orders = traffic.last
        result.orders = (first, self.orders)
        if self.wait_drained(result.orders, lambda: traffic.offered, time.monotonic()) is None:
            result.notes.append("the phase's orders did not settle")
        self.count(result, traffic, drained - fault_ended if drained else None)
        if traffic.refused:
            result.notes.append(f"{traffic.refused} requests refused and retried")
        return result

    def wait_drained(self, orders: tuple[int, int], offered: Callable[[], set],
                     since: float) -> float | None:
        """When every scan offered for `orders` is applied and every message they should
        have is planned and final (None: not within --drain-timeout)."""
        deadline = since + self.args.drain_timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(Exception):  # PostgreSQL may still be coming back
                wanted = {o for o in set(offered()) if orders[0] <= o[0] <= orders[1]}
                applied = self.events(orders)
                messages = self.messages(orders)
                if wanted <= set(applied) and all(m[3] in FINAL for m in messages) and \
                        not self.missing(orders, messages):
                    return time.monotonic()
            time.sleep(0.25)
        return None

    # --- what the database says
    def events(self, orders: tuple[int, int]) -> Counter:
        numbers = {tracking_number(n): n for n in range(orders[0], orders[1] + 1)}
        rows = self.demo.sql("SELECT tracking_number, status, count(*) FROM tracking_trackingevent "
                             "WHERE tenant_id = %s AND tracking_number = ANY(%s) "
                             "GROUP BY tracking_number, status",
                             (self.store.tenant_id, list(numbers)))
        return Counter({(numbers[number], status): count for number, status, count in rows})

    def messages(self, orders: tuple[int, int]) -> list[tuple]:
        """(id, order n, milestone, status, channel, reason) of the phase's orders' messages."""
        rows = self.demo.sql(
            "SELECT m.id, o.external_id, m.milestone, m.status, m.channel, m.status_reason "
            "FROM messaging_message m JOIN orders_order o ON o.id = m.order_id "
            "WHERE m.tenant_id = %s AND o.external_id = ANY(%s)",
            (self.store.tenant_id, [f"soak-{n}" for n in range(orders[0], orders[1] + 1)]))
        return [(pk, int(ext.removeprefix("soak-")), milestone, status, channel, reason)
                for pk, ext, milestone, status, channel, reason in rows]

    @staticmethod
    def missing(orders: tuple[int, int], messages: list[tuple]) -> set[tuple]:
        """What the default journey plans for each order followed to delivery, not planned."""
        planned = {(m[1], m[2], m[4]) for m in messages}
        expected = {(n, milestone, "email") for n in range(orders[0], orders[1] + 1)
                    for milestone in MILESTONES}
        expected |= {(n, milestone, "sms") for n in range(orders[0], orders[1] + 1)
                     for milestone in SMS_MILESTONES}
        return expected - planned

    def provider_receipts(self) -> Counter:
        """Our message id → requests a provider got that may have reached the shopper: answered
        2xx, or held past our timeout (no answer: it may have been accepted)."""
        got: Counter = Counter()
        for request in list(self.sendgrid.requests):
            if 200 <= request.status < 300 or request.hung:
                with contextlib.suppress(ValueError, KeyError, TypeError):
                    got[int(request.json()["custom_args"]["doorstep_message_id"])] += 1
        for request in list(self.twilio.requests):
            if 200 <= request.status < 300 or request.hung:
                callback = request.form().get("StatusCallback", "")
                with contextlib.suppress(ValueError, KeyError):
                    got[int(urllib.parse.parse_qs(urllib.parse.urlsplit(callback).query)["m"][0])] += 1
        return got

    def count(self, result: Result, traffic: Traffic, recover_s: float | None) -> None:
        orders = result.orders
        applied = self.events(orders)
        messages = self.messages(orders)
        receipts = self.provider_receipts()
        offered = {o for o in traffic.offered if orders[0] <= o[0] <= orders[1]}
        result.offered, result.applied = len(offered), len(set(applied) & offered)
        missing = self.missing(orders, messages)
        result.due = len(messages) + len(missing)
        result.sent = sum(1 for m in messages if m[3] in ACCEPTED)
        twice = [m[0] for m in messages if receipts[m[0]] > 1]
        event_dups = sum(c - 1 for c in applied.values())
        result.duplicates = len(twice) + event_dups
        not_final = [m for m in messages if m[3] not in FINAL]
        never_got = [m for m in messages if m[3] in ACCEPTED and not receipts[m[0]]]
        result.lost = len(offered - set(applied)) + len(missing) + len(not_final) + len(never_got)
        result.uncertain = sum(1 for m in messages if m[3] == "uncertain")
        result.recover_s = recover_s if recover_s is not None else float("nan")
        unexplained = [m for m in messages if m[3] in ("failed", "suppressed") and not m[5]]
        statuses = Counter(m[3] for m in messages)
        result.notes.append("messages: " + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())))
        reasons = Counter((m[3], m[4], re.sub(r"\d+", "N", m[5])[:90]) for m in messages
                          if m[3] not in ACCEPTED)
        for (status, channel, reason), number in reasons.most_common():
            result.notes.append(f"  {number} {status} {channel}: {reason}")
        for label, items in (("sent twice (ids)", twice), ("not final", not_final),
                             ("sent but never reached the provider", never_got),
                             ("failed/suppressed without a reason", unexplained),
                             ("never planned (order, milestone, channel)", sorted(missing)[:10]),
                             ("scans offered, not applied", sorted(offered - set(applied))[:10])):
            if items:
                result.notes.append(f"{label}: {items[:10]}")
        if event_dups:
            result.notes.append(f"events stored twice: {event_dups}")
        result.lost += len(unexplained)

    # --- the dashboard, as the retailer sees it
    def uncertain_in_dashboard(self) -> set[int]:
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        base = self.demo.url
        page = opener.open(f"{base}/accounts/login/", timeout=30).read().decode()
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if found is None:
            raise SystemExit("the login page has no CSRF token")
        token = found.group(1)
        email, password = self.store.owner
        form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "login": email,
                                       "password": password}).encode()
        opener.open(urllib.request.Request(f"{base}/accounts/login/", data=form,
                                           headers={"Referer": f"{base}/accounts/login/"}),
                    timeout=30).read()
        shown: set[int] = set()
        for number in range(1, 1000):
            html = opener.open(f"{base}/messages/?status=uncertain&page={number}",
                               timeout=30).read().decode()
            ids = {int(pk) for pk in re.findall(r'href="/messages/(\d+)/"', html)}
            if not ids - shown:
                break
            shown |= ids
        return shown


# --- the faults ----------------------------------------------------------------------------

def redis_down(bench: Bench) -> list[str]:
    bench.stack.server_stop("redis")
    time.sleep(bench.args.redis_down)
    bench.stack.server_start("redis")
    return [f"Redis stopped for {bench.args.redis_down:.0f} s"]


def workers_killed(bench: Bench) -> list[str]:
    """A send held at the fake SendGrid (so the worker is mid-send for sure), then SIGKILL
    of the worker's main process; its supervisor kills what is left of its group (the pool
    child in the provider call) and starts another. The next kill waits for the new worker."""
    demo, killed, waited = bench.demo, 0, []
    # The supervisor gives up on a worker that exits more than RESTARTS_ALLOWED times in
    # RESTART_WINDOW seconds (a crash loop): more kills than that allows (two exits kept spare,
    # e.g. a worker losing its broker in the Redis phase) are spaced to stay under it; fewer
    # (the quick form's) only wait for each new worker.
    spacing = bench.args.between_kills
    if bench.args.kills > RESTARTS_ALLOWED - 2:
        spacing = max(spacing, RESTART_WINDOW / RESTARTS_ALLOWED + 1)
    last_kill = -spacing
    for _ in range(bench.args.kills):
        time.sleep(max(0.0, last_kill + spacing - time.monotonic()))
        workers = demo.pids(WORKER)
        if not workers:
            _wait(lambda: demo.pids(WORKER), "a worker", 60)
            workers = demo.pids(WORKER)
        bench.sendgrid.hang_next(seconds=bench.args.provider_timeout + 3)
        began = time.monotonic()
        if not _wait(lambda: bench.sendgrid.script_left == 0, "a send in flight", 60):
            waited.append("no send came within 60 s")
            continue
        os.kill(workers[0], signal.SIGKILL)
        last_kill = time.monotonic()
        killed += 1
        waited.append(f"{time.monotonic() - began:.1f}")
        _wait(lambda w=set(workers): any(p not in w for p in demo.pids(WORKER)), "a new worker", 60)
    return [f"{killed} workers SIGKILLed mid-send (seconds waited for a send: "
            f"{', '.join(waited)})"]


def postgres_restart(bench: Bench) -> list[str]:
    began = time.monotonic()
    bench.stack.server_stop("postgres")
    bench.stack.server_start("postgres")
    return [f"PostgreSQL restarted (fast shutdown), down {time.monotonic() - began:.1f} s"]


def providers_out(bench: Bench) -> list[str]:
    a = bench.args
    fakes = (bench.sendgrid, bench.twilio)
    for fake in fakes:
        fake.outage(a.provider_errors / 2, 429, {"errors": [{"message": "Too many requests"}]},
                    headers={"Retry-After": "1"})
    time.sleep(a.provider_errors / 2)
    for fake in fakes:
        fake.outage(a.provider_errors / 2, 503, {"errors": [{"message": "Service unavailable"}]})
    time.sleep(a.provider_errors / 2)
    for fake in fakes:
        fake.outage(a.provider_hang, 503, hang=a.provider_timeout + 3)
    time.sleep(a.provider_hang)
    for fake in fakes:
        fake.outage_end()
    return [f"SendGrid and Twilio: 429 for {a.provider_errors / 2:.0f} s, 503 for "
            f"{a.provider_errors / 2:.0f} s, then no answer for {a.provider_hang:.0f} s"]


def _wait(condition, what: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            print(f"# waited {timeout:.0f} s for {what} in vain", flush=True)
            return False
        time.sleep(0.05)
    return True


# --- output --------------------------------------------------------------------------------

COLUMNS = ("fault", "offered", "applied", "due", "sent", "dups", "lost", "uncertain",
           "in dashboard", "recover s")


def table(results: list[Result]) -> list[str]:
    rows = [COLUMNS] + [(r.name, r.offered, r.applied, r.due, r.sent, r.duplicates, r.lost,
                         r.uncertain, f"{r.in_dashboard}/{r.uncertain}", f"{r.recover_s:.1f}")
                        for r in results]
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(COLUMNS))]
    return ["  ".join(str(v).rjust(w) if i else str(v).ljust(w)
                      for i, (v, w) in enumerate(zip(row, widths, strict=True))) for row in rows]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="CI: short fault windows and fewer kills (under 2 minutes)")
    parser.add_argument("--rate", type=float, default=2.0, help="orders per second (default 2)")
    parser.add_argument("--before", type=float, help="seconds of traffic before each fault")
    parser.add_argument("--after", type=float, help="seconds of traffic after each fault")
    parser.add_argument("--redis-down", type=float, help="seconds Redis is stopped (30)")
    parser.add_argument("--kills", type=int, help="workers SIGKILLed mid-send (10)")
    parser.add_argument("--between-kills", type=float, default=1.0)
    parser.add_argument("--provider-errors", type=float,
                        help="seconds of 429 then 5xx, half each (60)")
    parser.add_argument("--provider-hang", type=float, help="seconds without an answer (30)")
    parser.add_argument("--provider-timeout", type=int, default=2,
                        help="MESSAGING_PROVIDER_TIMEOUT for the run (default 2 s)")
    parser.add_argument("--sweep-every", type=int,
                        help="MESSAGING_SWEEP_SECONDS and INGEST_SWEEP_SECONDS for the run "
                             "(60 as in production; quick 2)")
    parser.add_argument("--ingest-sweep-after", type=int,
                        help="INGEST_SWEEP_AFTER_SECONDS for the run (120 as in production; "
                             "quick 5)")
    parser.add_argument("--stuck-after", type=int,
                        help="MESSAGING_SENDING/QUEUED_STUCK_SECONDS for the run (60; quick 10; "
                             "production 600/300)")
    parser.add_argument("--drain-timeout", type=float,
                        help="seconds a phase may take to drain after its fault (420; quick 120)")
    parser.add_argument("--only", help="comma-separated phases (baseline always runs)")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder (logs)")
    args = parser.parse_args()
    quick = {"before": 2, "after": 2, "redis_down": 5, "kills": 3, "provider_errors": 6,
             "provider_hang": 4, "sweep_every": 2, "stuck_after": 10, "ingest_sweep_after": 5,
             "drain_timeout": 120}
    full = {"before": 5, "after": 5, "redis_down": 30, "kills": 10, "provider_errors": 60,
            "provider_hang": 30, "sweep_every": 60, "stuck_after": 60, "ingest_sweep_after": 120,
            "drain_timeout": 420}
    for key, value in (quick if args.quick else full).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    sigterm_as_interrupt()
    phases: dict[str, Callable[[Bench], list[str]]] = {
        "redis_down": redis_down, "worker_kill": workers_killed,
        "postgres_restart": postgres_restart, "provider_outage": providers_out}
    chosen = list(phases) if not args.only else [p for p in args.only.split(",") if p in phases]

    folder = Path(tempfile.mkdtemp(prefix="doorstep-faults-"))
    var = folder / "var"
    started = time.monotonic()
    results: list[Result] = []
    failed = False
    sendgrid, twilio = FakeSendGrid(), FakeTwilio()
    sendgrid.start()
    twilio.start()
    stack = embedded.EmbeddedStack(var)
    bench: Bench | None = None
    try:
        stack.start()
        bench = Bench(args, var, stack, sendgrid, twilio)
        print(f"# own PostgreSQL {embedded.POSTGRES_VERSION} and Redis under {var} (embedded, "
              "owned by this run); the machine's servers are not touched", flush=True)
        print(f"# load average before: {os.getloadavg()[0]:.2f}", flush=True)
        bench.start()
        print(f"# stack up in {time.monotonic() - started:.0f} s; {args.rate:g} orders/s, each "
              f"shipped and scanned 3 times; provider timeout {args.provider_timeout} s, sweep "
              f"every {args.sweep_every} s, queued bodies swept after {args.ingest_sweep_after} s, "
              f"messages stuck after {args.stuck_after} s", flush=True)
        results.append(bench.phase("baseline", None))
        for name in chosen:
            results.append(bench.phase(name, functools.partial(phases[name], bench)))
        shown = bench.uncertain_in_dashboard()
        for result in results:
            uncertain = {m[0] for m in bench.messages(result.orders) if m[3] == "uncertain"}
            result.in_dashboard = len(uncertain & shown)
    except KeyboardInterrupt:
        print("# interrupted", flush=True)
        return 130
    finally:
        if bench is not None:
            tail = bench.demo.text()
            errors = [line for line in tail.splitlines() if "Traceback" in line]
            bench.demo.stop()
            bench.demo.kill_everything()
            (folder / "demo.log").write_text(tail)
            print(f"# demo log: {len(tail.splitlines())} lines, {len(errors)} tracebacks "
                  f"({folder / 'demo.log'} with --keep)", flush=True)
        stack.stop()
        sendgrid.stop()
        twilio.stop()
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    print(f"# load average after: {os.getloadavg()[0]:.2f}; whole run "
          f"{time.monotonic() - started:.0f} s", flush=True)
    for result in results:
        for note in result.notes:
            print(f"# {result.name}: {note}", flush=True)
    for line in table(results):
        print(f"# {line}", flush=True)
    print_header()
    baseline = results[0].recover_s
    for result in results:
        print_line(f"{result.name}_recover_s", result.recover_s, baseline)
    for result in results:
        wrong = (result.lost or result.duplicates or result.in_dashboard != result.uncertain
                 or result.recover_s != result.recover_s)  # nan: not drained
        if wrong:
            print(f"# WRONG: {result.name}: lost {result.lost}, duplicated {result.duplicates}, "
                  f"uncertain {result.uncertain} of which {result.in_dashboard} in the dashboard, "
                  f"recovered in {result.recover_s:.1f} s", flush=True)
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
