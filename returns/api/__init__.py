"""/api/v1/returns/ and /api/v1/return-policy/: the retailer's returns team and systems, through
the same services and policy as the portal and the dashboard (returns/api/views.py)."""
