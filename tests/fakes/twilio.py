"""Fake Twilio Messages API: 201 with a Message resource; errors in Twilio's JSON shape."""

from __future__ import annotations

import base64
import re
import secrets

from .server import FakeHTTPServer, Recorded, Reply

ACCOUNT_SID = "AC" + "0" * 31 + "1"
AUTH_TOKEN = "f" * 32
SERVICE_SID = "MG" + "0" * 31 + "2"
MESSAGES_PATH = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/Messages\.json$")


class FakeTwilio(FakeHTTPServer):
    account_sid = ACCOUNT_SID
    auth_token = AUTH_TOKEN
    messaging_service_sid = SERVICE_SID

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[dict[str, str]] = []  # the form bodies of accepted messages

    def reject_next(self, code: int, message: str = "", *, status: int = 400, times: int = 1) -> None:
        """Answer like Twilio refusing a message, e.g. 21610 (opted out) or 21211 (invalid To)."""
        self.fail_next(status, {"code": code, "message": message or f"Error {code}",
                                "more_info": f"https://www.twilio.com/docs/errors/{code}",
                                "status": status}, times=times)

    def answer(self, request: Recorded) -> Reply:
        match = MESSAGES_PATH.match(request.path)
        if request.method != "POST" or not match:
            return Reply.json(404, {"code": 20404, "message": "The requested resource was not found",
                                    "status": 404})
        user, _, _ = base64.b64decode((request.header("Authorization") or "Basic ")[6:]).decode(
            errors="replace").partition(":")
        if user != match.group(1):
            return Reply.json(401, {"code": 20003, "message": "Authenticate", "status": 401})
        form = request.form()
        if not form.get("To"):
            return Reply.json(400, {"code": 21604, "message": "A 'To' phone number is required.",
                                    "status": 400})
        if not (form.get("From") or form.get("MessagingServiceSid")):
            return Reply.json(400, {"code": 21603, "message": "A 'From' or 'MessagingServiceSid' "
                                                               "parameter is required", "status": 400})
        sid = "SM" + secrets.token_hex(16)
        self.sent.append(form)
        return Reply.json(201, {
            "sid": sid, "account_sid": match.group(1), "to": form["To"], "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"), "body": form.get("Body", ""),
            "status": "accepted" if form.get("MessagingServiceSid") else "queued",
            "num_segments": "1", "direction": "outbound-api", "api_version": "2010-04-01",
            "date_created": "Thu, 30 Jul 2015 20:12:31 +0000", "price": None, "error_code": None,
            "uri": f"/2010-04-01/Accounts/{match.group(1)}/Messages/{sid}.json",
        })
