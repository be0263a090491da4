"""The dev outbox for account e-mail: printed to the console and kept under var/outbox."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend


class DevOutboxEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        folder = settings.DEV_OUTBOX_DIR
        folder.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
            (folder / f"{stamp}.eml").write_bytes(message.message().as_bytes())
            sys.stdout.write(
                f"\n--- dev outbox: e-mail to {', '.join(message.to)} ---\n"
                f"Subject: {message.subject}\n\n{message.body}\n--- end ---\n"
            )
            sys.stdout.flush()
        return len(email_messages)
