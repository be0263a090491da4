#!/usr/bin/env python
"""`make demo`: migrate, seed "Acme Outdoor", then run the web app and a Celery worker with
beat, until Ctrl-C or SIGTERM stops them all.

    demo.py ─┬─ manage.py migrate, seed_demo, seed_demo_shipments  (one after the other)
             ├─ manage.py runserver 0.0.0.0:8000              (own process group)
             └─ celery -A config worker -B -Q …               (own process group)

With nothing set it runs embedded: SQLite and a folder broker under var/, no Redis. With
DATABASE_URL / REDIS_URL set, the same commands use those. Each child runs in its own process
group so that stopping reaches every process it started (the autoreloader's child, the
worker's pool and its beat), and nothing is left behind.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PORT = int(os.environ.get("DEMO_PORT", "8000"))
QUEUES = "ingest,messages,default,analytics"
STOP_GRACE_SECONDS = 20
DEMO_LOGIN = ("demo@acme.test", "doorstep-demo")


class Stop(Exception):
    """Raised from the signal handler: leave the main loop and stop the children."""


def _on_signal(signum, frame) -> None:
    raise Stop(signal.Signals(signum).name)


def say(text: str) -> None:
    print(f"[demo] {text}", flush=True)


def manage(*args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, check=True)  # noqa: S603


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def start(name: str, args: list[str]) -> subprocess.Popen:
    say(f"starting {name}: {' '.join(args)}")
    # A new session makes the child the leader of its own process group, so Ctrl-C in the
    # terminal reaches only this script, which then stops each group in order.
    return subprocess.Popen(args, cwd=ROOT, start_new_session=True,  # noqa: S603 - our commands
                            stdin=subprocess.DEVNULL)


def group_alive(pgid: int) -> bool:
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


def stop_all(children: dict[str, subprocess.Popen]) -> None:
    """SIGTERM each child first, so it shuts down in its own way (the worker finishes its
    task, then stops its pool and beat); then SIGTERM, and at last SIGKILL, whatever is left
    of its process group (e.g. runserver's autoreloaded child)."""
    for name, proc in children.items():
        if proc.poll() is None:
            say(f"stopping {name}")
            proc.terminate()
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for proc in children.values():
        _wait(lambda p=proc: p.poll() is None, deadline)
    for name, proc in children.items():
        if proc.poll() is None or group_alive(proc.pid):
            _signal_group(proc.pid, signal.SIGTERM)
            if not _wait(lambda p=proc: group_alive(p.pid), time.monotonic() + 5):
                say(f"{name} did not stop in time: killing it")
                _signal_group(proc.pid, signal.SIGKILL)
        proc.wait()


def wait_until_healthy(children: dict[str, subprocess.Popen], timeout: float = 90) -> dict:
    url = f"http://127.0.0.1:{PORT}/healthz"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, proc in children.items():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with status {proc.returncode} while starting")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return json.load(response)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer 200 within {timeout:.0f} s")


def banner(health: dict) -> None:
    database = health["checks"]["database"].get("detail", "?")
    broker = health["checks"]["broker"].get("detail", "?")
    email, password = DEMO_LOGIN
    lines = [
        "",
        "Doorstep demo is running",
        "",
        f"  Open     http://localhost:{PORT}/",
        f"  Log in   {email}  /  {password}",
        f"  API docs http://localhost:{PORT}/api/v1/docs/",
        f"  Health   http://localhost:{PORT}/healthz   (database: {database}, broker: {broker})",
        "",
        "  Press Ctrl-C to stop the web app, the worker and beat.",
        "",
    ]
    width = max(len(line) for line in lines) + 2
    print("+" + "-" * width + "+", flush=True)
    for line in lines:
        print(f"| {line.ljust(width - 1)}|", flush=True)
    print("+" + "-" * width + "+", flush=True)


def main() -> int:
    os.chdir(ROOT)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    # A terminal is read by eye; production keeps the JSON default.
    os.environ.setdefault("LOG_FORMAT", "text")
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)

    children: dict[str, subprocess.Popen] = {}
    try:
        if port_in_use(PORT):
            say(f"port {PORT} is in use: stop what runs there, or set DEMO_PORT")
            return 1
        database = "DATABASE_URL" if os.environ.get("DATABASE_URL") else "SQLite under var/"
        broker = ("CELERY_BROKER_URL / REDIS_URL"
                  if os.environ.get("CELERY_BROKER_URL") or os.environ.get("REDIS_URL")
                  else "a folder broker under var/broker (no Redis needed)")
        say(f"database: {database}; broker: {broker}")
        say("migrating the database")
        manage("migrate", "--noinput", "-v", "1")
        say("seeding the demo tenant")
        manage("seed_demo")
        say("giving its fulfilled orders parcels (the worker then sends the milestone messages)")
        manage("seed_demo_shipments")
        children["web"] = start("web", [sys.executable, "manage.py", "runserver",
                                        f"0.0.0.0:{PORT}"])
        children["worker"] = start("worker + beat", [
            str(BIN / "celery"), "-A", "config", "worker", "-B", "-Q", QUEUES,
            "--loglevel", "INFO", "--concurrency", "2"])
        banner(wait_until_healthy(children))
        while True:
            for name, proc in children.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited unexpectedly (status {proc.returncode})")
            time.sleep(0.5)
    except Stop as reason:
        say(f"{reason}: shutting down")
        return 0
    except (RuntimeError, subprocess.CalledProcessError) as error:
        say(f"error: {error}")
        return 1
    finally:
        # A second Ctrl-C while stopping must not leave orphans behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stop_all(children)
        if children:
            say("stopped: web, worker and beat")


if __name__ == "__main__":
    sys.exit(main())
