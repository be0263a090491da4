"""Dashboard pages of the tenants app (home, areas, settings, invitations)."""
