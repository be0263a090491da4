"""Provider callbacks: what SendGrid and Twilio tell us about our messages, and shoppers' texts.
They come in through the shared webhook edge (tenants/inbound.py), which stores each body
before anything reads it; apps.py registers these sources with it.

    sendgrid.py      POST /webhooks/sendgrid/<slug>/            signed Event Webhook (ECDSA)
    twilio.py        POST /webhooks/twilio/<slug>/status/        delivery reports
                     POST /webhooks/twilio/<slug>/inbound/       texts from shoppers (TwiML reply)
    sms_keywords.py  STOP / START / HELP / WHERE and their answers
    effects.py       the shared writes: forward-only message statuses, events stored once,
                     suppressions, consent (also used by the pixel, redirect and /u/ pages)
"""
