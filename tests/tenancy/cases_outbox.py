"""Cross-tenant cases for the dev outbox (/outbox/, messaging/dashboard/outbox.py): Carol
must not download Alice's kept e-mail. The list itself is checked with every page
(test_nothing_carol_is_shown_belongs_to_alice: Alice's store has a kept e-mail)."""

from messaging.models import Message
from messaging.tests.dashboard_support import make_message
from tenants.context import tenant_scope

from .harness import cross_tenant_case


@cross_tenant_case("outbox:eml")
def _kept_email(p) -> dict:
    message = make_message(p.tenant_a, recipient="alpha.shopper@example.test")
    with tenant_scope(p.tenant_a):
        Message.objects.filter(pk=message.pk).update(provider="outbox")
    return {"message_id": message.pk}
