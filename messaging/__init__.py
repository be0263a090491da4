"""Messaging: branded, personalised e-mail and SMS at every milestone, exactly once.

    outbox rows of tracking (ShipmentMilestone) and orders (OrderMilestone), a batch at a time
        ─▶ journeys/milestones.py, the processors of their kinds (tenants/outbox.py)
        ─▶ journeys/   plan Message rows (in the draining transaction; dedup key)
    dispatch (SKIP LOCKED batches) ─▶ preparing.py (checks, contexts, rendering/: stored
        `queued`) ─▶ send tasks of many ids ─▶ providers/ ─▶ SendGrid, SMTP, Twilio, dev outbox
    provider callbacks, pixel, redirect, /u/<token>/ ─▶ webhooks/, views ─▶ MessageEvent, statuses

Modules and the interfaces between them (each owner keeps these signatures):

    rendering/      (templates, Jinja2 sandbox, MJML compile + CSS inline once per version)
        template_version_save(tenant, template, *, locale, subject, preheader, body,
                              text_body="", actor=None, restored_from=None) -> TemplateVersion
            raises config.errors.ValidationFailed with details {"body": ["line 3: …"]}
        template_version_current(template, locale) -> TemplateVersion | None  (locale fallback)
        render_message(version, context: dict, *, message=None) -> Rendered
            Rendered(subject, preheader, html, text, links: list[str]); with `message`, links
            are rewritten to signed click URLs and the open pixel is added
        context_for(tenant, *, milestone, order=None, shipment=None, customer=None,
                    message=None, include_marketing=False) -> dict   (documented variables)
        sms_segments(text) -> Segments(encoding: "GSM-7"|"UCS-2", segments: int, length: int)
        default_templates_install(tenant) -> dict[str, Template]  (en, de, fr, es)
    links.py        signed tokens and URLs (open pixel, click redirect, unsubscribe/preferences)
        open_pixel_url(message), click_url(message, url), preferences_url(message),
        one_click_unsubscribe_url(message), token_load(kind, token) -> (tenant_id, message_id, extra)
    providers/      Healthchecks-style transports: send(...) -> provider message id, or raises
        PermanentSendError / TemporarySendError (providers/base.py)
        email_transport_for(tenant), sms_transport_for(tenant)
    dispatch.py     messages_dispatch_due(tenant, *, now=None, limit=CLAIM) -> int (claims,
                    checks and renders a batch: preparing.py); messages_send(tenant, ids) and
                    message_send(tenant, message_id) (checks again, rate limits, sends,
                    records; retries with backoff; UNCERTAIN on a crash after acceptance)
    outcomes.py     batch writes: statuses, MessageEvent rows, order timeline lines
    journeys/       default_journey_install(tenant); messages_plan(tenant, *, milestone, order,
                    shipment, occurred_at) -> list[Message]; messages_plan_many(tenant, [...]);
                    message_relevance(message) -> str | None and messages_block_reasons(tenant,
                    messages) (reasons to suppress before sending, e.g. the shipment moved on)
    webhooks/       SendGrid event webhook, Twilio status + inbound SMS (keywords)
    views.py        open pixel, click redirect, /u/<token>/ preferences + RFC 8058 one-click
    api/            /api/v1/messages/, /api/v1/journeys/, /api/v1/templates/
    dashboard/      journey editor, template editor with preview, message log
"""
