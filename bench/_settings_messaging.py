"""Settings for bench/messaging.py: the app's own (via _settings), with the send-rate caps out
of reach. The default tenant cap (messaging/ratelimit.py, 50 sends/s) would otherwise be what
the pipeline scenario measures: over it, a message is put back to `scheduled` for later."""

from bench._settings import *  # noqa: F403

MESSAGING_RATE_LIMITS = {"tenant": 10**9, "sms_sender": 10**9, "sms_service": 10**9}
