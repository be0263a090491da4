"""The embedded stack (config/embedded.py): a real PostgreSQL and Redis from pip wheels under a
var folder, owned by whoever starts it, attached to by others, and recovered after an owner
that died without stopping it."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import psycopg
import pytest
import redis

from config import embedded


def _postgres_pid(var: Path) -> int:
    return int((var / "postgres" / "postmaster.pid").read_text().split()[0])


def _redis_pid(var: Path) -> int:
    return int((embedded.socket_dir(var) / "redis.pid").read_text().strip())


def _answers(var: Path) -> bool:
    try:
        with psycopg.connect(host=str(embedded.socket_dir(var)), user="postgres",
                             dbname=embedded.DATABASE_NAME, connect_timeout=2) as conn:
            conn.execute("SELECT 1")
        return redis.Redis.from_url(embedded.redis_url(var), socket_timeout=2).ping()
    except (psycopg.OperationalError, redis.exceptions.ConnectionError):
        return False


def _gone(pid: int, timeout: float = 15) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        if state == "Z":
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def var(tmp_path) -> Path:
    return tmp_path / "var"


def test_the_owner_starts_both_servers_and_stops_them(var):
    stack = embedded.EmbeddedStack(var).start()
    try:
        assert stack.owner
        assert _answers(var)
        with psycopg.connect(host=str(stack.run_dir), user="postgres", dbname="doorstep") as conn:
            assert conn.info.server_version // 10000 == embedded.POSTGRES_VERSION
        pg, rd = _postgres_pid(var), _redis_pid(var)
    finally:
        stack.stop()
    assert _gone(pg) and _gone(rd)
    assert not _answers(var)
    assert not embedded.in_use(var)


def test_data_is_kept_across_runs(var):
    with embedded.EmbeddedStack(var) as stack:
        with psycopg.connect(host=str(stack.run_dir), user="postgres", dbname="doorstep",
                             autocommit=True) as conn:
            conn.execute("CREATE TABLE kept (v text)")
            conn.execute("INSERT INTO kept VALUES ('still here')")
        redis.Redis.from_url(embedded.redis_url(var)).set("kept", "still here")
    with embedded.EmbeddedStack(var) as stack:
        with psycopg.connect(host=str(stack.run_dir), user="postgres", dbname="doorstep") as conn:
            assert conn.execute("SELECT v FROM kept").fetchone() == ("still here",)
        assert redis.Redis.from_url(embedded.redis_url(var)).get("kept") == b"still here"


def test_the_owner_takes_one_server_away_and_brings_it_back_with_its_data(var):
    """What bench/faults.py does: Redis stopped while PostgreSQL answers, then PostgreSQL
    restarted; each comes back on the same socket with what it held."""
    with embedded.EmbeddedStack(var) as stack:
        client = redis.Redis.from_url(embedded.redis_url(var), socket_timeout=2)
        client.set("kept", "still here")
        stack.server_stop("redis")
        with pytest.raises(redis.exceptions.ConnectionError):
            client.ping()
        with psycopg.connect(host=str(stack.run_dir), user="postgres", dbname="doorstep",
                             autocommit=True) as conn:
            conn.execute("CREATE TABLE kept (v text)")
            conn.execute("INSERT INTO kept VALUES ('still here')")
        stack.server_start("redis")
        assert client.get("kept") == b"still here"
        stack.server_stop("postgres")
        assert not _answers(var)
        stack.server_start("postgres")
        with psycopg.connect(host=str(stack.run_dir), user="postgres", dbname="doorstep") as conn:
            assert conn.execute("SELECT v FROM kept").fetchone() == ("still here",)
        with pytest.raises(embedded.EmbeddedError, match="running already"):
            stack.server_start("redis")
        guest = embedded.EmbeddedStack(var).start()
        with pytest.raises(embedded.EmbeddedError, match="does not own"):
            guest.server_stop("redis")
        guest.stop()


def test_a_second_process_attaches_and_leaves_the_servers_running(var):
    with embedded.EmbeddedStack(var) as owner:
        assert embedded.in_use(var)
        guest = embedded.EmbeddedStack(var).start()
        assert not guest.owner
        guest.stop()
        assert _answers(var), "the guest stopped the owner's servers"
        assert owner.owner


def test_servers_killed_outright_leave_stale_files_that_the_next_start_clears(var):
    stack = embedded.EmbeddedStack(var).start()
    pg, rd = _postgres_pid(var), _redis_pid(var)
    os.kill(pg, signal.SIGKILL)
    os.kill(rd, signal.SIGKILL)
    assert _gone(pg) and _gone(rd)
    stack._lock_file.close()  # the owner dies too: the kernel drops its lock
    stack._lock_file, stack._processes = None, {}
    assert (var / "postgres" / "postmaster.pid").exists()  # stale, as a crash leaves it

    with embedded.EmbeddedStack(var) as again:
        assert again.owner and _answers(var)
        assert _postgres_pid(var) != pg


def test_servers_an_owner_left_running_are_stopped_and_replaced(var):
    """An owner that died where no parent-death signal stops its servers (not Linux): the
    next owner finds them running under a free lock, stops them and starts its own."""
    stack = embedded.EmbeddedStack(var).start()
    pg, rd = _postgres_pid(var), _redis_pid(var)
    stack._lock_file.close()  # ownership gone, servers still running
    stack._lock_file, stack._processes = None, {}
    assert _answers(var) and not embedded.in_use(var)

    with embedded.EmbeddedStack(var) as again:
        assert again.owner and _answers(var)
        assert _gone(pg) and _gone(rd)
        assert _postgres_pid(var) != pg and _redis_pid(var) != rd


def test_addresses_follow_from_the_folder_and_celery_spells_a_socket_its_own_way(tmp_path):
    var = tmp_path / "var"
    assert embedded.socket_dir(var) == var.resolve() / "run"
    assert embedded.database_url(var).startswith("postgres://postgres@%2F")
    assert embedded.redis_url(var, 15) == f"unix://{var.resolve()}/run/redis.sock?db=15"
    assert embedded.broker_url(embedded.redis_url(var, 15)) == \
        f"redis+socket://{var.resolve()}/run/redis.sock?virtual_host=15"
    assert embedded.broker_url("redis://cache:6379/2") == "redis://cache:6379/2"
    deep = tmp_path.joinpath(*["a-rather-long-folder-name"] * 5) / "var"
    short = embedded.socket_dir(deep)
    assert short.parent == Path("/tmp") and len(str(short / ".s.PGSQL.5432.lock")) <= 100
    assert short == embedded.socket_dir(deep)  # the same folder every time


def test_forcing_the_embedded_stack_overrides_configured_servers(monkeypatch, var):
    monkeypatch.setenv("DATABASE_URL", "postgres://elsewhere/db")
    monkeypatch.setenv("REDIS_URL", os.environ.get("REDIS_URL", ""))  # put back afterwards
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    monkeypatch.delenv("DOORSTEP_EMBEDDED", raising=False)
    assert embedded.start_for_process(var) is None  # configured servers are used as they are
    monkeypatch.setenv("DOORSTEP_EMBEDDED", "1")
    stack = embedded.start_for_process(var, redis_db=3)
    try:
        assert os.environ["DATABASE_URL"] == embedded.database_url(var)
        assert os.environ["REDIS_URL"] == embedded.redis_url(var, 3)
    finally:
        stack.stop()
