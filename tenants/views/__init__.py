"""Dashboard pages of the tenants app.

    base              the one permission gate (`dashboard_view`) and shared helpers
    paging            lists page by page, newest first, with a capped total
    home              overview, tenant switching, creating a store
    settings_general  store name, time zone, language, 2FA enforcement
    brand             logo, colours, font, senders, with a live preview
    members           team, roles, invitations
    api_keys          create (shown once) and revoke
    integrations      provider credentials and the webhook URLs to paste
    invitations       the public invitation page (`invitation_accept`)
"""
