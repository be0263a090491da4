"""Switches of the demo (`make demo` turns them on; off everywhere else)."""

from config.env import env_bool

# A few demo parcels move one carrier scan a minute through the real ingestion path, so a
# newcomer watches real messages being sent (tracking/demo_live.py; scheduled in
# config/celery.py).
DEMO_LIVE_PARCELS = env_bool("DEMO_LIVE_PARCELS", False)
