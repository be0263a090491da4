"""`make demo` end to end: scripts/demo.py migrates, seeds, serves, runs the worker and beat,
and Ctrl-C stops every process it started."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from django.conf import settings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _descendants(pid: int) -> set[int]:
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


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state != "Z"


def test_the_demo_serves_the_seeded_store_and_ctrl_c_stops_everything(tmp_path):
    port = _free_port()
    env = {"PATH": os.environ["PATH"], "DOORSTEP_VAR_DIR": str(tmp_path), "DEMO_PORT": str(port),
           "HOME": os.environ.get("HOME", "/tmp")}
    demo = subprocess.Popen([sys.executable, "scripts/demo.py"], cwd=settings.BASE_DIR, env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    output: list[str] = []
    ready = threading.Event()
    started: set[int] = set()

    def drain() -> None:  # keep the pipe empty so no child ever blocks on its output
        for line in demo.stdout:
            output.append(line)
            if "Press Ctrl-C" in line:  # the banner's last line
                ready.set()

    threading.Thread(target=drain, daemon=True).start()
    try:
        assert ready.wait(180), "".join(output[-40:])
        banner = "".join(output)
        assert f"http://localhost:{port}/" in banner
        assert "demo@acme.test" in banner and "doorstep-demo" in banner
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as response:
            assert response.status == 200
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/",
                                    timeout=10) as response:
            assert response.status == 200
        started |= _descendants(demo.pid)
        assert any("celery" in Path(f"/proc/{p}/cmdline").read_text(errors="ignore")
                   for p in started if _running(p))

        demo.send_signal(signal.SIGINT)  # what Ctrl-C sends
        assert demo.wait(timeout=90) == 0, "".join(output[-40:])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_running(p) for p in started):
            time.sleep(0.2)
        assert not [p for p in started if _running(p)], "processes left behind"
    finally:
        # Only if the test failed half-way: end exactly the processes this test saw start.
        if demo.poll() is None:
            started |= _descendants(demo.pid)
            demo.kill()
        for pid in started:
            if _running(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
    assert "Seeded demo tenant 'Acme Outdoor'" in "".join(output)
