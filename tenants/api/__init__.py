"""The tenants app's API: API-key authentication, permissions, rate limits, and the
tenant, brand and credential endpoints."""
