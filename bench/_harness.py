"""Shared pieces of the benchmarks: free ports, child processes that are always stopped
(gunicorn, Celery), a keep-alive HTTP load generator, a throwaway PostgreSQL database, a
benchmark's own environment (`bench_env`, `bench_run`) and `scenario value baseline ratio`
output.

Everything talks to 127.0.0.1 only. Child processes run in their own session, so Ctrl-C
reaches the benchmark alone, which then stops them in its `finally` (SIGTERM, then SIGKILL).
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def sigterm_as_interrupt() -> None:
    """`kill <bench>` cleans up like Ctrl-C does: both unwind through `finally`."""

    def handler(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, handler)


# --- child processes -------------------------------------------------------------------

class Children:
    """Processes started for one run; `stop_all()` (or leaving the `with`) ends each of them
    by its own process group, never by name."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen] = []

    def __enter__(self) -> Children:
        return self

    def __exit__(self, *exc) -> None:
        self.stop_all()

    def spawn(self, args: list[str], env: dict[str, str], **kwargs) -> subprocess.Popen:
        proc = subprocess.Popen(args, cwd=ROOT, env=env, start_new_session=True, **kwargs)
        self.procs.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen, timeout: float = 20) -> None:
        if proc.poll() is None:
            # The leader only: gunicorn's arbiter and Celery's main process shut their own
            # workers down (a Celery pool child that gets SIGTERM itself logs an error).
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        # A prefork pool's children share the group: make sure none outlives its parent.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        if proc in self.procs:
            self.procs.remove(proc)

    def stop_all(self) -> None:
        for proc in list(reversed(self.procs)):
            self.stop(proc)


def gunicorn_args(port: int, workers: int = 2) -> list[str]:
    return [str(BIN / "gunicorn"), "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
            "--workers", str(workers), "--log-level", "warning"]


def wait_http_ready(port: int, proc: subprocess.Popen, path: str = "/healthz",
                    timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with status {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                conn.close()
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("server did not become ready")


# --- HTTP load -------------------------------------------------------------------------

# One request: method, path, body (or None), headers.
Request = tuple[str, str, bytes | None, dict[str, str]]


@dataclass
class Sample:
    seconds: float = 0.0
    requests: int = 0
    errors: int = 0
    units: int = 0  # what a request carries (events), counted for accepted requests
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def units_per_s(self) -> float:
        return self.units / self.seconds if self.seconds else 0.0


def load(port: int, make_request: Callable[[int, int], tuple[Request, int]], *, seconds: float,
         clients: int, ok: frozenset[int] = frozenset({200}),
         interval: float | None = None) -> Sample:
    """`clients` threads, each with one keep-alive connection (re-opened when the server
    closes it), for `seconds`. `make_request(client, n)` gives the n-th request of a client
    and how many units it carries. With `interval`, each client sends at most one request
    per `interval` seconds (an offered rate, not as fast as possible)."""
    sample, lock = Sample(seconds=seconds), threading.Lock()
    started_at = time.monotonic()
    stop_at = started_at + seconds

    def client(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        local, n = Sample(), 0
        while True:
            now = time.monotonic()
            if interval is not None:
                due = started_at + (n + index / clients) * interval
                if due >= stop_at:
                    break
                if due > now:
                    time.sleep(due - now)
            elif now >= stop_at:
                break
            (method, path, body, headers), units = make_request(index, n)
            n += 1
            began = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                status = 0
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            local.latencies.append(time.perf_counter() - began)
            local.requests += 1
            local.statuses[status] = local.statuses.get(status, 0) + 1
            if status in ok:
                local.units += units
            else:
                local.errors += 1
        conn.close()
        with lock:
            sample.requests += local.requests
            sample.errors += local.errors
            sample.units += local.units
            sample.latencies.extend(local.latencies)
            for status, count in local.statuses.items():
                sample.statuses[status] = sample.statuses.get(status, 0) + count

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sample


def median(values) -> float:
    values = list(values)
    return statistics.median(values) if values else 0.0


# --- PostgreSQL ------------------------------------------------------------------------

def pg_admin_dsn(database_url: str) -> tuple[str, str]:
    """(DSN of the `postgres` maintenance database on the same server, bench database name)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    if not name or not parts.hostname or parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"refusing to use {database_url!r}: the bench database must be local")
    return urlunsplit(parts._replace(path="/postgres")), name


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def database_create(database_url: str) -> None:
    """A fresh, empty database (dropped first if a killed run left it behind)."""
    import psycopg

    admin, name = pg_admin_dsn(database_url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {_quote(name)} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {_quote(name)}")


def database_drop(database_url: str) -> None:
    import psycopg

    admin, name = pg_admin_dsn(database_url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {_quote(name)} WITH (FORCE)")


# --- Redis -----------------------------------------------------------------------------

@contextlib.contextmanager
def redis_run_lock(url: str, name: str, ttl: int = 900) -> Iterator[object]:
    """Exclusive use of a Redis database for one run: refuses to start while another run
    holds it, and deletes every key the run created there (the database may be shared)."""
    import redis

    client = redis.Redis.from_url(url)
    lock_key = f"bench:lock:{name}"
    if not client.set(lock_key, str(os.getpid()), nx=True, ex=ttl):
        raise SystemExit(f"another {name} run holds {url} (key {lock_key}); "
                         "wait for it, or delete the key if that run is gone")
    before = set(client.scan_iter(count=1000))
    try:
        yield client
    finally:
        created = [k for k in client.scan_iter(count=1000) if k not in before and k != lock_key]
        for start in range(0, len(created), 500):
            client.delete(*created[start:start + 500])
        client.delete(lock_key)
        client.close()


# --- a benchmark's own environment ----------------------------------------------------

@dataclass(frozen=True)
class BenchEnv:
    """Where one benchmark runs in-process: its own PostgreSQL database and Redis database,
    each overridable by an environment variable (BENCH_<VAR>_DATABASE_URL, …_REDIS_URL)."""

    name: str  # the run lock's name
    database_url: str
    redis_url: str
    cache_prefix: str

    def environ(self) -> dict[str, str]:
        """The process's settings for the run: the bench settings module (the app's own and
        a no-op view), production-like logging, this run's database, Redis and broker."""
        return {"DJANGO_SETTINGS_MODULE": "bench._settings", "DATABASE_URL": self.database_url,
                "REDIS_URL": self.redis_url, "CELERY_BROKER_URL": self.redis_url,
                "CACHE_KEY_PREFIX": self.cache_prefix, "DEBUG": "0", "LOG_LEVEL": "WARNING"}


def bench_env(name: str, redis_db: int, *, var: str, database: str = "") -> BenchEnv:
    """`name`'s environment: the database `database` (doorstep_bench_<name> unless given) and
    Redis database `redis_db` on loopback, unless BENCH_<var>_DATABASE_URL or
    BENCH_<var>_REDIS_URL say otherwise. Reads the environment only (a spawned COPY process
    imports the benchmark's module again and must find the same)."""
    return BenchEnv(
        name=name,
        database_url=os.environ.get(f"BENCH_{var}_DATABASE_URL",
                                    "postgres://postgres@127.0.0.1:5432/"
                                    f"{database or f'doorstep_bench_{name}'}"),
        redis_url=os.environ.get(f"BENCH_{var}_REDIS_URL", f"redis://127.0.0.1:6379/{redis_db}"),
        cache_prefix=f"bench-{var.lower()}")


@contextlib.contextmanager
def bench_run(env: BenchEnv, *, lock_ttl: int) -> Iterator[None]:
    """One run in `env`: SIGTERM unwinds like Ctrl-C, the process takes the run's settings,
    holds the Redis run lock (a second run refuses to start), and works in a fresh database
    that is dropped at the end, whatever happens (Django's connections closed first)."""
    sigterm_as_interrupt()
    os.environ.update(env.environ())
    with redis_run_lock(env.redis_url, env.name, ttl=lock_ttl):
        database_create(env.database_url)
        try:
            yield
        finally:
            from django.db import connections

            connections.close_all()
            database_drop(env.database_url)


# --- output ----------------------------------------------------------------------------

def bench_store():
    """Django set up, the schema migrated and a throwaway store with its owner, as every
    benchmark that serves pages or the API starts: returns (tenant, owner)."""
    import secrets

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from tenants import services

    call_command("migrate", "--noinput", verbosity=0)
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # whitenoise warns without it
    suffix = secrets.token_hex(4)
    owner = get_user_model().objects.create_user(username=f"bench-{suffix}",
                                                 email=f"bench-{suffix}@bench.invalid")
    tenant = services.tenant_create(name=f"Bench {suffix}", owner=owner, slug=f"bench-{suffix}")
    return tenant, owner


def print_header() -> None:
    print("scenario value baseline ratio", flush=True)


def print_line(name: str, value: float, baseline: float, digits: int = 1) -> None:
    ratio = value / baseline if baseline else float("nan")
    print(f"{name} {value:.{digits}f} {baseline:.{digits}f} {ratio:.3f}", flush=True)
