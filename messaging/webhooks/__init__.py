"""Provider callbacks: what SendGrid and Twilio tell us about our messages, and shoppers' texts.

    common.py        raw first: resolve the store from the URL, keep the body, record the outcome
    sendgrid.py      POST /webhooks/sendgrid/<slug>/            signed Event Webhook (ECDSA)
    twilio.py        POST /webhooks/twilio/<slug>/status/        delivery reports
                     POST /webhooks/twilio/<slug>/inbound/       texts from shoppers (TwiML reply)
    sms_keywords.py  STOP / START / HELP / WHERE and their answers
    effects.py       the shared writes: forward-only message statuses, events stored once,
                     suppressions, consent (also used by the pixel, redirect and /u/ pages)
"""
