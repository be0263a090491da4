"""The demo's switches (`make demo` turns them on; off everywhere else) and the embedded
mode's dev outbox."""

from config.env import env_bool, env_str

from .core import VAR_DIR

# A few demo parcels move one carrier scan a minute through the real ingestion path, so a
# newcomer watches real messages being sent (tracking/demo_live.py; scheduled in
# config/celery.py).
DEMO_LIVE_PARCELS = env_bool("DEMO_LIVE_PARCELS", False)

# Where the dev outbox (messaging/providers/outbox.py) writes each message it keeps, as
# messages/<id>.eml / .html / .txt; empty: nowhere (the dashboard's /outbox/ shows them all).
MESSAGING_OUTBOX_DIR = env_str("MESSAGING_OUTBOX_DIR", str(VAR_DIR / "outbox"))
