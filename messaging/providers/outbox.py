"""The dev outbox: the embedded default for e-mail and SMS. Nothing leaves the machine; the
Message row itself is the record (its rendered subject and bodies stay on it), so the
dashboard's message log shows exactly what would have gone out."""

from __future__ import annotations

import logging

from messaging.models import Message

from .base import Transport

logger = logging.getLogger(__name__)
NAME = "outbox"


class OutboxTransport(Transport):
    name = NAME

    def __init__(self, channel: str):
        self.channel = channel

    def send(self, message: Message) -> str:
        logger.info("message kept in the dev outbox", extra={
            "message_id": message.pk, "channel": message.channel, "recipient": message.recipient})
        return f"outbox-{message.pk}"
