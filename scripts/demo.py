#!/usr/bin/env python
"""`make demo`: start the stack, migrate, seed "Acme Outdoor", then supervise the web app, a
Celery worker and beat until Ctrl-C, SIGTERM, or `kill -INT` of the `make` that started it.

    demo.py ─┬─ PostgreSQL 16 + Redis under var/   (config.embedded; not with DATABASE_URL)
             ├─ manage.py migrate, seed_demo, seed_demo_shipments, seed_demo_returns,
             │  recommendations_recompute,
             │  analytics_rebuild   (one after the other)
             ├─ web     manage.py runserver --noreload 0.0.0.0:$DEMO_PORT
             ├─ worker  celery -A config worker -Q ingest,messages,default,analytics
             └─ beat    celery -A config beat

It is the production stack: the same SQL, the same Celery transport (Redis), the same
settings. With DATABASE_URL / REDIS_URL set it uses those servers instead of starting its own.

A supervisor, not a launcher: a web, worker or beat process that dies is started again (with
a line saying so), and the others go on; one that keeps dying (5 times in a minute) stops the
demo with the reason. Each child runs in its own session, so stopping reaches every process it
started (runserver's reloaded child, the worker's pool) and a Ctrl-C reaches only this script,
which stops the app processes first and the servers last. On Linux each child also dies with
this script, however it ends.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import deque
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config import embedded  # noqa: E402 - after the path: run as a script

BIN = Path(sys.executable).parent
PORT = int(os.environ.get("DEMO_PORT", "8000"))
HOST = os.environ.get("DEMO_HOST", "localhost")
QUEUES = "ingest,messages,default,analytics"
# The worker's warm shutdown finishes the task it runs; one still running after this is
# stopped (acks are late: it runs again on the next start, and sends are exactly-once).
# Together with the servers' stop (config/embedded.py) a stop stays within ~15 s.
STOP_GRACE_SECONDS = 6
RESTARTS_ALLOWED = 5  # within RESTART_WINDOW seconds; more is a crash loop, not bad luck
RESTART_WINDOW = 60.0
_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}


class Stop(Exception):
    """Raised from the signal handler (or when our parent is told to stop): leave the main
    loop and stop everything."""


def _on_signal(signum, frame) -> None:
    raise Stop(signal.Signals(signum).name)


def say(text: str) -> None:
    print(f"[demo] {text}", flush=True)


def var_dir() -> Path:
    return Path(os.environ.get("DOORSTEP_VAR_DIR") or ROOT / "var").resolve()


def manage(*args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, check=True)  # noqa: S603


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class ParentWatch:
    """`make demo` runs this script as make's child. A Ctrl-C in the terminal reaches both,
    but `kill -INT <make>` reaches make alone, which then waits for its children for ever.
    Make blocks the signal while it waits in its handler: on Linux that shows in its
    /proc status (SigBlk), and it is our cue to stop. Our parent's death is one too."""

    def __init__(self) -> None:
        self.parent = os.getppid()
        self.status = Path(f"/proc/{self.parent}/status")
        self.is_make = Path(f"/proc/{self.parent}/comm").exists() and \
            Path(f"/proc/{self.parent}/comm").read_text().strip() in {"make", "gmake"}

    def told_to_stop(self) -> str | None:
        if os.getppid() != self.parent:
            return "the process that started the demo has gone"
        if not self.is_make:
            return None
        try:
            for line in self.status.read_text().splitlines():
                if line.startswith("SigBlk:"):
                    blocked = int(line.split()[1], 16)
                    for signum in _STOP_SIGNALS:
                        if blocked & (1 << (signum - 1)):
                            return f"make received {signal.Signals(signum).name}"
        except (OSError, ValueError):
            return None
        return None


class Child:
    """One supervised process: its command, its current Popen, its recent restarts."""

    def __init__(self, name: str, args: list[str], env: dict[str, str]):
        self.name, self.args, self.env = name, args, env
        self.proc: subprocess.Popen | None = None
        self.restarts: deque[float] = deque()

    def start(self) -> None:
        # A new session makes the child the leader of its own process group: a Ctrl-C in the
        # terminal reaches only this script, which then stops each group in order.
        self.proc = subprocess.Popen(self.args, cwd=ROOT, env=self.env, start_new_session=True,  # noqa: S603
                                     stdin=subprocess.DEVNULL,
                                     preexec_fn=embedded.die_with_parent(signal.SIGTERM))  # noqa: PLW1509

    def exited(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    def restart(self) -> None:
        now = time.monotonic()
        self.restarts.append(now)
        while self.restarts and now - self.restarts[0] > RESTART_WINDOW:
            self.restarts.popleft()
        if len(self.restarts) > RESTARTS_ALLOWED:
            raise RuntimeError(f"{self.name} keeps exiting ({len(self.restarts)} times in "
                               f"{RESTART_WINDOW:.0f} s, last status {self.proc.returncode}): "
                               "see its output above")
        status = self.proc.returncode
        cause = f"killed by {signal.Signals(-status).name}" if status < 0 else f"status {status}"
        say(f"{self.name} exited ({cause}): starting it again")
        _signal_group(self.proc.pid, signal.SIGKILL)  # whatever of it is left (its pool)
        self.start()


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signum)


def _wait(condition, deadline: float) -> bool:
    while condition() and time.monotonic() < deadline:
        time.sleep(0.1)
    return not condition()


def stop_all(children: list[Child]) -> None:
    """SIGTERM each child first, so it shuts down in its own way (the worker finishes its
    task, then stops its pool); then SIGTERM, and at last SIGKILL, whatever is left of its
    process group (e.g. runserver's reloaded child)."""
    running = [c for c in children if c.proc is not None]
    for child in running:
        if child.proc.poll() is None:
            say(f"stopping {child.name}")
            child.proc.terminate()
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for child in running:
        _wait(lambda p=child.proc: p.poll() is None, deadline)
    for child in running:
        pid = child.proc.pid
        if child.proc.poll() is None or _group_alive(pid):
            _signal_group(pid, signal.SIGTERM)
            if not _wait(lambda p=pid: _group_alive(p), time.monotonic() + 3):
                say(f"{child.name} did not stop in time: killing it")
                _signal_group(pid, signal.SIGKILL)
        child.proc.wait()


def wait_until_healthy(children: list[Child], timeout: float = 120) -> dict:
    url = f"http://127.0.0.1:{PORT}/healthz"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for child in children:
            if child.exited() is not None:
                raise RuntimeError(f"{child.name} exited with status {child.proc.returncode} "
                                   "while starting")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return json.load(response)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer 200 within {timeout:.0f} s")


def banner(health: dict, base_url: str) -> None:
    import django

    django.setup()  # the logins are named beside the seed (orders.demo_logins)
    from orders.demo_logins import DEMO_LOGINS

    database = health["checks"]["database"].get("detail", "?")
    broker = health["checks"]["broker"].get("detail", "?")
    logins = [f"  Log in   {email}  /  {password}   ({role})" for role, email, password in DEMO_LOGINS]
    lines = [
        "",
        "Doorstep demo is running",
        "",
        f"  Open     {base_url}/",
        *logins,
        f"  Outbox   {base_url}/outbox/   (every e-mail and SMS the shoppers got)",
        f"  API docs {base_url}/api/v1/docs/",
        f"  Health   {base_url}/healthz   (database: {database}, broker: {broker})",
        "",
        "  Press Ctrl-C to stop the web app, the worker, beat and the servers.",
        "",
    ]
    width = max(len(line) for line in lines) + 2
    print("+" + "-" * width + "+", flush=True)
    for line in lines:
        print(f"| {line.ljust(width - 1)}|", flush=True)
    print("+" + "-" * width + "+", flush=True)


def child_env(base_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PUBLIC_BASE_URL"] = base_url  # every link in e-mails, logos, webhook URLs shown
    if HOST not in ("localhost", "127.0.0.1"):
        hosts = env.get("ALLOWED_HOSTS") or "localhost,127.0.0.1,[::1]"
        env["ALLOWED_HOSTS"] = f"{hosts},{HOST}"
    env.setdefault("DEMO_LIVE_PARCELS", "1")  # a few parcels move while the newcomer watches
    return env


def main() -> int:
    os.chdir(ROOT)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    # A terminal is read by eye; production keeps the JSON default.
    os.environ.setdefault("LOG_FORMAT", "text")
    for signum in _STOP_SIGNALS:
        signal.signal(signum, _on_signal)
    base_url = os.environ.get("PUBLIC_BASE_URL") or f"http://{HOST}:{PORT}"
    watch = ParentWatch()

    stack = None
    children: list[Child] = []
    try:
        if port_in_use(PORT):
            say(f"port {PORT} is in use: stop what runs there, or set DEMO_PORT")
            return 1
        stack = embedded.start_for_process(var_dir(), log=say)
        if stack is None:
            say("database: DATABASE_URL; broker and cache: REDIS_URL")
        else:
            say(f"database and broker: PostgreSQL {embedded.POSTGRES_VERSION} and Redis under "
                f"{var_dir()} (set DATABASE_URL and REDIS_URL to use your own)")
        os.environ.update(child_env(base_url))
        say("migrating the database")
        manage("migrate", "--noinput", "-v", "1")
        say("seeding the demo tenant")
        manage("seed_demo")
        say("giving its fulfilled orders parcels (their history is not messaged again)")
        manage("seed_demo_shipments")
        say("giving it a return policy and returns in every state (not messaged either)")
        manage("seed_demo_returns")
        say("learning what its shoppers buy together (recommendations)")
        manage("recommendations_recompute", "--all")
        say("rolling its history up for Analytics (then beat keeps it up to date)")
        today = date.today()
        manage("analytics_rebuild", "--from", str(today - timedelta(days=400)),
               "--to", str(today + timedelta(days=1)))
        env = dict(os.environ)
        children = [
            Child("web", [sys.executable, "manage.py", "runserver", "--noreload", f"0.0.0.0:{PORT}"],
                  env),
            Child("worker", [str(BIN / "celery"), "-A", "config", "worker", "-Q", QUEUES,
                             "--loglevel", "INFO", "--concurrency", "2", "-n", "demo@%h"], env),
            Child("beat", [str(BIN / "celery"), "-A", "config", "beat", "--loglevel", "INFO",
                           "--schedule", str(var_dir() / "celerybeat-schedule")], env),
        ]
        for child in children:
            say(f"starting {child.name}: {' '.join(child.args)}")
            child.start()
        banner(wait_until_healthy(children), base_url)
        while True:
            for child in children:
                if child.exited() is not None:
                    child.restart()
            reason = watch.told_to_stop()
            if reason:
                raise Stop(reason)
            time.sleep(0.5)
    except Stop as reason:
        say(f"{reason}: shutting down")
        return 0
    except (RuntimeError, subprocess.CalledProcessError, embedded.EmbeddedError) as error:
        say(f"error: {error}")
        return 1
    finally:
        # A second Ctrl-C while stopping must not leave orphans behind.
        for signum in _STOP_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)
        stop_all(children)
        if stack is not None:
            stack.stop()
        if children or stack is not None:
            say("stopped: " + ", ".join([c.name for c in children]
                                        + (["PostgreSQL", "Redis"] if stack else [])))


if __name__ == "__main__":
    sys.exit(main())
