"""E-mail over SMTP (the platform's `EMAIL_HOST`), for installations without SendGrid.

Same envelope as SendGrid: our ids travel as `X-Doorstep-*` headers, the milestone as
`X-Doorstep-Category`. The provider id is the Message-ID we generate, since an SMTP server
gives us nothing better. Reply codes decide: 4xx is "try later", 5xx is "never".
"""

from __future__ import annotations

import smtplib
from email.utils import formataddr, make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

from messaging.models import Message

from .base import PermanentSendError, TemporarySendError, Transport, provider_timeout
from .email import email_envelope

NAME = "smtp"
BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def _reply(exc: smtplib.SMTPException) -> tuple[int | None, str]:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(exc.recipients.values()), (None, b""))
    else:
        code, text = getattr(exc, "smtp_code", None), getattr(exc, "smtp_error", b"")
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    return code, str(text or exc)


class SmtpTransport(Transport):
    name = NAME

    def __init__(self, *, host: str | None = None, port: int | None = None,
                 username: str | None = None, password: str | None = None,
                 use_tls: bool | None = None):
        self.options = {
            "host": host or settings.EMAIL_HOST,
            "port": port or getattr(settings, "EMAIL_PORT", 587),
            "username": username if username is not None else getattr(settings, "EMAIL_HOST_USER", ""),
            "password": password if password is not None else getattr(settings, "EMAIL_HOST_PASSWORD", ""),
            "use_tls": use_tls if use_tls is not None else getattr(settings, "EMAIL_USE_TLS", True),
        }

    @staticmethod
    def email_for(message: Message) -> EmailMultiAlternatives:
        """The e-mail as sent (the dev outbox writes the same as its .eml file)."""
        envelope = email_envelope(message)
        domain = envelope.from_email.rpartition("@")[2] or None
        headers = {
            **envelope.headers,
            "Message-ID": make_msgid(f"doorstep.{message.pk}", domain=domain),
            "X-Doorstep-Message-Id": envelope.custom_args["doorstep_message_id"],
            "X-Doorstep-Tenant": envelope.custom_args["doorstep_tenant"],
        }
        if envelope.categories:
            headers["X-Doorstep-Category"] = ", ".join(envelope.categories)
        email = EmailMultiAlternatives(
            subject=message.subject, body=message.text_body,
            from_email=formataddr((envelope.from_name, envelope.from_email)),
            to=[message.recipient], reply_to=[envelope.reply_to] if envelope.reply_to else None,
            headers=headers)
        if message.html_body:
            email.attach_alternative(message.html_body, "text/html")
        return email

    def send(self, message: Message) -> str:
        email = self.email_for(message)
        connection = get_connection(BACKEND, fail_silently=False, timeout=provider_timeout(),
                                    **self.options)
        try:
            connection.send_messages([email])
        except smtplib.SMTPException as exc:
            code, text = _reply(exc)
            if isinstance(exc, smtplib.SMTPServerDisconnected) or code is None or code < 500:
                raise TemporarySendError(text, provider=NAME, code=code) from exc
            raise PermanentSendError(text, provider=NAME, code=code) from exc
        except OSError as exc:  # refused, reset, timed out
            raise TemporarySendError(f"no answer: {exc}", provider=NAME) from exc
        return email.extra_headers["Message-ID"].strip("<>")
