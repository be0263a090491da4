"""A threaded HTTP server on 127.0.0.1 that records every request and answers either from a
script (`fail_next`, `hang_next`), from an outage in progress (`outage`: every request for a
while), or with the subclass's normal answer. Each recorded request keeps the status it got,
and whether it was left hanging (the client may have given up before any answer)."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    status: int = 0  # the answer's status, once chosen
    hung: bool = False  # held before answering: the client may have timed out first

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)

    def json(self):
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(self.body.decode(), keep_blank_values=True).items()}


@dataclass
class Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    hang: float = 0.0  # seconds to stall before answering (the client should time out first)

    @classmethod
    def json(cls, status: int, data, headers: dict[str, str] | None = None) -> Reply:
        return cls(status, json.dumps(data).encode(),
                   {"Content-Type": "application/json", **(headers or {})})


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 - quiet test output
        pass

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        request = Recorded(self.command, parts.path, parse_qs(parts.query), dict(self.headers.items()),
                           body)
        reply = self.server.fake._reply_for(request)
        if reply.hang:
            self.server.fake._released.wait(reply.hang)
        try:
            self.send_response(reply.status)
            for key, value in reply.headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
        except OSError:
            pass  # the client gave up (a hang test)

    do_GET = do_POST = do_PUT = do_DELETE = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeHTTPServer


class FakeHTTPServer:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._script: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._released = threading.Event()
        self._outage: tuple[float, Reply] | None = None
        self._server: _Server | None = None

    # --- lifecycle
    def start(self) -> FakeHTTPServer:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._released.set()
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # --- scripting
    def fail_next(self, status: int, body=None, *, times: int = 1,
                  headers: dict[str, str] | None = None) -> None:
        """Answer the next `times` requests with `status` and `body` (JSON unless bytes)."""
        reply = (Reply(status, body, headers or {}) if isinstance(body, bytes)
                 else Reply.json(status, body if body is not None else {}, headers))
        with self._lock:
            self._script.extend([reply] * times)

    def hang_next(self, seconds: float = 5.0, *, times: int = 1) -> None:
        with self._lock:
            self._script.extend([Reply(503, hang=seconds)] * times)

    def outage(self, seconds: float, status: int = 503, body=None, *,
               headers: dict[str, str] | None = None, hang: float = 0.0) -> None:
        """Answer every request with `status` (JSON `body`) for the next `seconds`; with
        `hang`, hold each request that long first (a provider that stopped answering)."""
        reply = Reply.json(status, body if body is not None else {}, headers)
        reply.hang = hang
        with self._lock:
            self._outage = (time.monotonic() + seconds, reply)

    def outage_end(self) -> None:
        with self._lock:
            self._outage = None

    @property
    def script_left(self) -> int:
        """Scripted replies not yet used (0: the last `fail_next`/`hang_next` has been met)."""
        with self._lock:
            return len(self._script)

    def _reply_for(self, request: Recorded) -> Reply:
        with self._lock:
            self.requests.append(request)
            reply = self._script.popleft() if self._script else None
            if reply is None and self._outage is not None:
                until, outage = self._outage
                if time.monotonic() < until:
                    reply = outage
                else:
                    self._outage = None
        reply = reply or self.answer(request)
        request.status, request.hung = reply.status, bool(reply.hang)
        return reply

    def answer(self, request: Recorded) -> Reply:
        return Reply(404)
