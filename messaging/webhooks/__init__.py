"""Provider callbacks: what SendGrid and Twilio tell us about our messages, and shoppers' texts.

    common.py        raw first: resolve the store from the URL, keep the body, record the outcome
    sendgrid.py      POST /webhooks/sendgrid/<slug>/            signed Event Webhook (ECDSA)
    twilio.py        POST /webhooks/twilio/<slug>/status/        delivery reports
                     POST /webhooks/twilio/<slug>/inbound/       texts from shoppers (TwiML reply)
    sms_keywords.py  STOP / START / HELP / WHERE and their answers
    effects.py       the shared writes: forward-only message statuses, events stored once,
                     suppressions, consent (also used by the pixel, redirect and /u/ pages)
"""


def replay_sendgrid(tenant, inbound):
    """tracking.services.inbound_replay for a stored SendGrid body (registered in apps.py)."""
    from tracking.services import Receipt

    from .sendgrid import sendgrid_receive

    status, message, counts = sendgrid_receive(tenant, inbound)
    return Receipt(status, message, counts)


def replay_twilio(tenant, inbound):
    """The same for a stored Twilio body: a status callback or an inbound text (no reply is
    sent on a replay; opting out or in again changes nothing)."""
    from urllib.parse import parse_qs

    from tracking.services import Receipt

    from .twilio import inbound_receive, status_receive

    params = parse_qs(bytes(inbound.body).decode("utf-8", "replace"))
    if "MessageStatus" in params:
        status, error = status_receive(tenant, inbound)
    else:
        status, error, _reply = inbound_receive(tenant, inbound)
    return Receipt(status, error)
