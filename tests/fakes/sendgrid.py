"""Fake SendGrid v3 Mail Send: 202 with an `X-Message-Id`, as the real API answers."""

from __future__ import annotations

import secrets

from .server import FakeHTTPServer, Recorded, Reply

PLATFORM_KEY = "SG.fake-platform-key.0123456789abcdef"


class FakeSendGrid(FakeHTTPServer):
    platform_key = PLATFORM_KEY

    def __init__(self) -> None:
        super().__init__()
        self.message_ids: list[str] = []
        self.mails: list[dict] = []  # the JSON bodies of the sends accepted so far

    def answer(self, request: Recorded) -> Reply:
        if request.method != "POST" or request.path != "/v3/mail/send":
            return Reply.json(404, {"errors": [{"message": "not found"}]})
        if not (request.header("Authorization") or "").startswith("Bearer SG."):
            return Reply.json(401, {"errors": [{"message": "The provided authorization grant is "
                                                           "invalid, expired, or revoked"}]})
        try:
            body = request.json()
        except ValueError:
            return Reply.json(400, {"errors": [{"message": "Bad Request", "field": None}]})
        if not body.get("personalizations") or not body.get("from"):
            return Reply.json(400, {"errors": [{"message": "missing personalizations or from",
                                                "field": "personalizations"}]})
        message_id = secrets.token_urlsafe(16)
        self.message_ids.append(message_id)
        self.mails.append(body)
        return Reply(202, b"", {"X-Message-Id": message_id})
