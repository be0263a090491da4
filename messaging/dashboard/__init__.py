"""Dashboard pages of messaging (namespace `messaging`):

    messages.py    the message log and one message (content, provider events, send again)
    journeys.py    the journey editor: rules, on/off, add and change a rule
    templates.py   the template editor: per-locale draft, live preview, save, test, history
    guide.py       the template guide: docs/templates.md rendered
    outbox.py      the dev outbox (namespace `outbox`, messaging/outbox_urls.py): what the
                   embedded mode kept instead of sending, newest first
    forms.py       their forms
"""
