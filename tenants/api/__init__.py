"""The tenants app's API: API-key authentication, permissions, rate limits, and the
tenant, brand and credential endpoints; and, in `base.py`, what every app's API shares (the
base endpoint class, the actor, validation, filters and cursor pages)."""
