"""Cross-tenant entries for messaging's public links and provider webhooks. The behaviour
behind each reason is tested in messaging/tests/test_public_links.py (a token of tenant A
never opens tenant B's data) and test_sendgrid_webhook.py / test_twilio_webhook.py (a body
signed with tenant B's key to tenant A's URL is 401)."""

from .harness import no_tenant_object

_TOKEN = ("the signed token names its tenant and message and is the only authority (no session); "
          "the message is looked up in the token's tenant only, a forged or altered token is 404 "
          "(messaging/tests/test_public_links.py)")

no_tenant_object("message-open-pixel", _TOKEN + "; the pixel answers the same GIF for any token")
no_tenant_object("message-click", _TOKEN + "; it redirects only to Message.links[index]")
no_tenant_object("message-preferences", _TOKEN)
no_tenant_object("message-one-click", _TOKEN + "; RFC 8058 forbids cookies, so none are used")

_SLUG = ("the slug names the receiving store on purpose; only that store's own {key} gets a "
         "body in, another store's is 401 ({test})")
no_tenant_object("webhook-sendgrid", _SLUG.format(
    key="SendGrid verification key", test="messaging/tests/test_sendgrid_webhook.py"))
no_tenant_object("webhook-twilio-status", _SLUG.format(
    key="Twilio auth token (or the platform's)", test="messaging/tests/test_twilio_webhook.py"))
no_tenant_object("webhook-twilio-inbound", _SLUG.format(
    key="Twilio auth token (or the platform's)", test="messaging/tests/test_inbound_sms.py"))
