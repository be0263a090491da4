"""The dev outbox: the embedded default for e-mail and SMS. Nothing leaves the machine. The
Message row itself is the record (its rendered subject and bodies stay on it), shown as the
shopper would get it in the dashboard's dev outbox (/outbox/), and each message is also
written where a person or a script can open it:

    <MESSAGING_OUTBOX_DIR>/messages/<id>.eml    the e-mail exactly as the SMTP transport
                                                would send it (open it in a mail client)
    <MESSAGING_OUTBOX_DIR>/messages/<id>.html   its HTML part, to open in a browser
    <MESSAGING_OUTBOX_DIR>/messages/<id>.txt    an SMS: to, from and its text

MESSAGING_OUTBOX_DIR defaults to var/outbox; empty: no files.
"""

from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings

from messaging.models import Channel, Message
from tenants.services import brand_get

from .base import Transport
from .smtp import SmtpTransport

logger = logging.getLogger(__name__)
NAME = "outbox"


def outbox_eml(message: Message) -> bytes:
    """The e-mail as a MIME message: what the SMTP transport would hand to a server."""
    return SmtpTransport.email_for(message).message().as_bytes()


def outbox_sms_text(message: Message) -> str:
    sender = brand_get(message.tenant).sms_sender or message.tenant.name
    return f"To: {message.recipient}\nFrom: {sender}\n\n{message.text_body}\n"


def outbox_files_dir() -> Path | None:
    folder = settings.MESSAGING_OUTBOX_DIR
    return Path(folder) / "messages" if folder else None


def outbox_files_write(message: Message) -> list[Path]:
    """Write the message's files (see the module's docstring); returns their paths."""
    folder = outbox_files_dir()
    if folder is None:
        return []
    folder.mkdir(parents=True, exist_ok=True)
    if message.channel == Channel.SMS:
        files = {folder / f"{message.pk}.txt": outbox_sms_text(message).encode()}
    else:
        files = {folder / f"{message.pk}.eml": outbox_eml(message),
                 folder / f"{message.pk}.html": message.html_body.encode()}
    for path, content in files.items():
        path.write_bytes(content)
    return list(files)


class OutboxTransport(Transport):
    name = NAME

    def __init__(self, channel: str):
        self.channel = channel

    def send(self, message: Message) -> str:
        try:
            outbox_files_write(message)
        except OSError:
            # The row is the record and the dashboard shows it: a full disk or a read-only
            # folder must not fail the send.
            logger.warning("could not write the dev outbox's files", exc_info=True,
                           extra={"message_id": message.pk})
        logger.info("message kept in the dev outbox", extra={
            "message_id": message.pk, "channel": message.channel, "recipient": message.recipient})
        return f"outbox-{message.pk}"
