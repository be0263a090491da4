"""The audit log: agents' actions and settings, API key, integration and member changes are
recorded with who, what, which object, when and from which address; owners and admins read,
filter and export it; nobody changes or deletes an entry through any URL, the API or the
model; another store's entries never show."""

from __future__ import annotations

import pytest
from django.urls import reverse

from messaging.tests.factories import make_order
from tenants import services
from tenants.context import tenant_scope
from tenants.models import AuditEntry

pytestmark = pytest.mark.django_db
AUDIT = reverse("dashboard:settings-audit")


def _entries(tenant) -> list[AuditEntry]:
    with tenant_scope(tenant):
        return list(AuditEntry.objects.order_by("pk"))


def test_an_agents_note_is_audited_with_name_and_address(client, personas):
    order = make_order(personas.tenant_a, number="#9001")
    client.force_login(personas.bob)
    client.post(reverse("orders:note-add", args=[order.pk]), {"text": "Called back"},
                REMOTE_ADDR="203.0.113.7")
    [entry] = [e for e in _entries(personas.tenant_a) if e.action == "order.note_added"]
    assert (entry.actor, entry.object_type, entry.object_id, entry.ip) == (
        "user:bob@alpha.test", "order", str(order.pk), "203.0.113.7")


def test_agent_actions_settings_keys_and_members_are_audited(client, personas):
    order = make_order(personas.tenant_a, number="#9002")
    client.force_login(personas.bob)
    client.post(reverse("orders:contact", args=[order.pk]), {"email": "new@example.com",
                                                             "phone": "", "reason": "called"})
    client.force_login(personas.alice)
    client.post(reverse("dashboard:settings-api-keys"), {"name": "Warehouse", "scope": "read"})
    with tenant_scope(personas.tenant_a):
        services.credential_set(personas.tenant_a, "easypost", {"webhook_secret": "s3cret-value"},
                                actor=personas.alice)
    actions = [e.action for e in _entries(personas.tenant_a)]
    assert {"order.agent_action", "api_key.created", "credential.set"} <= set(actions)
    assert not any("s3cret" in e.summary for e in _entries(personas.tenant_a))


def test_owners_read_filter_and_export_the_log_and_agents_cannot(client, personas):
    with tenant_scope(personas.tenant_a):
        services.api_key_create(personas.tenant_a, name="ERP 2", actor=personas.alice)
    client.force_login(personas.alice)
    page = client.get(AUDIT).content.decode()
    assert "Created API key “ERP 2”" in page and "user:alice@alpha.test" in page
    assert "ERP 2" not in client.get(AUDIT, {"action": "member.removed"}).content.decode()
    export = client.get(AUDIT, {"format": "csv", "action": "api_key.created"})
    assert export["Content-Type"].startswith("text/csv")
    assert "Created API key “ERP 2”" in export.content.decode()
    client.force_login(personas.bob)
    assert client.get(AUDIT).status_code == 403


def test_no_url_or_api_changes_an_entry(client, api_client, personas):
    with tenant_scope(personas.tenant_a):
        services.api_key_create(personas.tenant_a, name="ERP 3", actor=personas.alice)
    before = [(e.pk, e.summary) for e in _entries(personas.tenant_a)]
    client.force_login(personas.alice)
    for method in ("post", "put", "patch", "delete"):
        assert getattr(client, method)(AUDIT).status_code == 405
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {personas.alice_key}")
    schema = api_client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    assert schema["paths"] and not [path for path in schema["paths"] if "audit" in path.lower()]
    assert [(e.pk, e.summary) for e in _entries(personas.tenant_a)] == before


def test_an_entry_refuses_to_be_changed_or_deleted(personas):
    with tenant_scope(personas.tenant_a):
        services.api_key_create(personas.tenant_a, name="ERP 4", actor=personas.alice)
    entry = _entries(personas.tenant_a)[-1]
    entry.summary = "nothing happened"
    with tenant_scope(personas.tenant_a), pytest.raises(PermissionError):
        entry.save()
    with tenant_scope(personas.tenant_a), pytest.raises(PermissionError):
        entry.delete()


def test_another_stores_entries_never_show(client, personas):
    with tenant_scope(personas.tenant_a):
        services.api_key_create(personas.tenant_a, name="Alpha secret ERP", actor=personas.alice)
    client.force_login(personas.carol)
    assert "Alpha secret ERP" not in client.get(AUDIT).content.decode()
    assert "Alpha secret ERP" not in client.get(AUDIT, {"format": "csv"}).content.decode()
