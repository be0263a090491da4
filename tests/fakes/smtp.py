"""A tiny SMTP server (enough of RFC 5321 for smtplib and Django's SMTP backend) that keeps
every message it accepts, and can refuse the next recipient with a given reply."""

from __future__ import annotations

import email
import email.policy
import socketserver
import threading
from dataclasses import dataclass


@dataclass
class Received:
    mail_from: str
    rcpt_to: list[str]
    data: bytes

    @property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        fake = self.server.fake
        self.reply("220 fake-smtp ready")
        mail_from, rcpt = "", []
        while line := self.rfile.readline():
            verb, _, arg = line.decode(errors="replace").strip().partition(" ")
            verb = verb.upper()
            if verb == "EHLO":
                self.wfile.write(b"250-fake-smtp\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
            elif verb in ("HELO", "NOOP", "RSET"):
                mail_from, rcpt = ("", []) if verb == "RSET" else (mail_from, rcpt)
                self.reply("250 OK")
            elif verb == "MAIL":
                mail_from = arg.partition(":")[2].strip(" <>")
                self.reply("250 OK")
            elif verb == "RCPT":
                refusal = fake.pop_refusal()
                if refusal:
                    self.reply(refusal)
                else:
                    rcpt.append(arg.partition(":")[2].strip(" <>"))
                    self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                chunks = []
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    chunks.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                fake.received.append(Received(mail_from, rcpt, b"".join(chunks)))
                self.reply("250 OK queued")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 Command not implemented")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    fake: FakeSMTP


class FakeSMTP:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self._refusals: list[str] = []
        self._lock = threading.Lock()
        self._server: _Server | None = None

    def start(self) -> FakeSMTP:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def refuse_next_recipient(self, reply: str = "550 5.1.1 No such user") -> None:
        with self._lock:
            self._refusals.append(reply)

    def pop_refusal(self) -> str | None:
        with self._lock:
            return self._refusals.pop(0) if self._refusals else None
