"""Cross-tenant cases for the messaging API (/api/v1/messages/, journeys, templates) and the
messaging dashboard (message log, journey editor, template editor) of Alice's tenant, which
Carol must not reach, read or change."""

from messaging.dashboard.frames import preview_frame_store
from messaging.models import Message
from messaging.tests.dashboard_support import make_journey, make_message, make_template
from tenants.context import tenant_scope

from .harness import cross_tenant_case


def _message(p, **kwargs) -> dict:
    return {"message_id": make_message(p.tenant_a, recipient="alpha.shopper@example.test",
                                       **kwargs).pk}


def _journey(p) -> dict:
    return {"journey_id": make_journey(p.tenant_a, name="Alpha Outfitters journey")[0].pk}


def _rule(p) -> dict:
    journey, rule = make_journey(p.tenant_a, name="Alpha Outfitters journey")
    return {"journey_id": journey.pk, "rule_id": rule.pk}


def _template(p) -> dict:
    return {"template_id": make_template(p.tenant_a, name="Alpha Secret Tent template").pk}


def _version(p) -> dict:
    template = make_template(p.tenant_a, versions=2)
    with tenant_scope(p.tenant_a):
        return {"template_id": template.pk,
                "version_id": template.versions.order_by("number")[0].pk}


# --- API ---------------------------------------------------------------------------------
cross_tenant_case("api-message-detail")(_message)
cross_tenant_case("api-message-resend", methods=("POST",))(
    lambda p: _message(p, status=Message.Status.FAILED))
cross_tenant_case("api-journey-detail", methods=("GET", "PATCH", "DELETE"))(_journey)
cross_tenant_case("api-journey-rules", methods=("POST",))(_journey)
cross_tenant_case("api-journey-rule-detail", methods=("GET", "PATCH", "DELETE"))(_rule)
cross_tenant_case("api-template-detail", methods=("GET", "PATCH"))(_template)
cross_tenant_case("api-template-versions", methods=("GET", "POST"))(_template)

# --- dashboard ---------------------------------------------------------------------------
cross_tenant_case("messaging:message")(_message)
cross_tenant_case("messaging:message-frame")(_message)
cross_tenant_case("messaging:template-preview-frame")(
    lambda p: {"key": preview_frame_store(p.tenant_a, p.alice, "<p>Alpha Secret Tent</p>")})
cross_tenant_case("messaging:message-resend", methods=("POST",))(
    lambda p: _message(p, status=Message.Status.FAILED))
cross_tenant_case("messaging:journey-toggle", methods=("POST",))(_journey)
cross_tenant_case("messaging:rule-create", methods=("GET", "POST"))(_journey)
cross_tenant_case("messaging:rule-edit", methods=("GET", "POST"))(
    lambda p: {"rule_id": _rule(p)["rule_id"]})
cross_tenant_case("messaging:rule-toggle", methods=("POST",))(
    lambda p: {"rule_id": _rule(p)["rule_id"]})
cross_tenant_case("messaging:rule-delete", methods=("POST",))(
    lambda p: {"rule_id": _rule(p)["rule_id"]})
cross_tenant_case("messaging:template", methods=("GET", "POST"))(_template)
cross_tenant_case("messaging:template-preview", methods=("POST",))(_template)
cross_tenant_case("messaging:template-test", methods=("POST",))(_template)
cross_tenant_case("messaging:template-restore", methods=("POST",))(_version)
