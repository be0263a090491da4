"""Messages (read, and resend a failed one), journeys with their rules and templates with
their versions (read and write, so journeys can be scripted).

    /messages/                          GET list (filters, cursor)
    /messages/{id}/                     GET one, with provider events
    /messages/{id}/resend/              POST failed → scheduled, due now (uncertain: confirmed)
    /journeys/                          GET list · POST create (with rules)
    /journeys/{id}/                     GET · PATCH (name, enabled) · DELETE
    /journeys/{id}/rules/               POST add a rule
    /journeys/{id}/rules/{rule_id}/     GET · PATCH · DELETE
    /templates/                         GET list (current version per locale) · POST create
    /templates/{id}/                    GET · PATCH (name, has_marketing_content)
    /templates/{id}/versions/           GET history · POST save a new version
"""

from __future__ import annotations

from django.db import transaction
from django.http import Http404
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response

from config.errors import ValidationFailed
from tenants.api.base import (
    PAGINATION_PARAMETERS,
    TenantApiView,
    api_actor,
    paginated_response,
    paginated_schema,
    query_filters,
    validated,
)
from tenants.permissions import Perm

from .. import selectors, services
from ..rendering import template_version_save
from .serializers import (
    JourneyInputSerializer,
    JourneyPatchSerializer,
    JourneyRuleInputSerializer,
    JourneyRulePatchSerializer,
    JourneyRuleSerializer,
    JourneySerializer,
    MessageFilterSerializer,
    MessageResendInputSerializer,
    MessageSerializer,
    NoFiltersSerializer,
    TemplateFilterSerializer,
    TemplateInputSerializer,
    TemplatePatchSerializer,
    TemplateSerializer,
    TemplateVersionFilterSerializer,
    TemplateVersionInputSerializer,
    TemplateVersionSerializer,
)

RULE_EXAMPLE = {"name": "Review request by e-mail", "trigger": "review_request",
                "channel": "email", "template": 12, "delay_minutes": 4320,
                "conditions": {"customer": "repeat", "countries": ["DE", "AT"]},
                "enabled": True}


def _prefixed(exc: ValidationFailed, prefix: str) -> ValidationFailed:
    """A service's field errors, renamed to where the field sits in the body (`rules[2].…`)."""
    return ValidationFailed(exc.message, details={
        f"{prefix}.{field}" if field != "non_field_errors" else prefix: problems
        for field, problems in exc.details.items()})


# --- messages ----------------------------------------------------------------------------

class MessageListApi(TenantApiView):
    required_perms = {"GET": Perm.MESSAGES_VIEW}

    @extend_schema(
        operation_id="messages_list",
        parameters=[MessageFilterSerializer, *PAGINATION_PARAMETERS],
        responses=paginated_schema(MessageSerializer, "PaginatedMessageList"),
        summary="List messages to shoppers with their content and provider events, newest first",
        description="One row per journey rule × shipment (or order) × milestone: each shopper "
                    "gets each milestone message once. `status` moves scheduled → queued → "
                    "sending → sent → delivered/opened/clicked, or ends suppressed, failed, "
                    "bounced or uncertain (the provider may have it; never resent by itself).")
    def get(self, request):
        messages = selectors.message_list(self.tenant,
                                          **query_filters(request, MessageFilterSerializer))
        return paginated_response(request, self, messages, MessageSerializer,
                                  ordering=("-created_at", "-pk"))


class MessageDetailApi(TenantApiView):
    required_perms = {"GET": Perm.MESSAGES_VIEW}

    @extend_schema(responses=MessageSerializer,
                   summary="One message with its rendered content and every provider event")
    def get(self, request, message_id: int):
        return Response(MessageSerializer(selectors.message_get(self.tenant, message_id)).data)


class MessageResendApi(TenantApiView):
    required_perms = {"POST": Perm.MESSAGES_MANAGE}

    @extend_schema(
        request=MessageResendInputSerializer,
        responses={202: MessageSerializer,
                   409: OpenApiResponse(description="`conflict`: the message is neither failed "
                                                    "nor uncertain; `confirmation_required`: "
                                                    "uncertain, not confirmed.")},
        summary="Send a failed message again",
        description="Puts the same message back in the outbox, due now. Only `failed` and "
                    "`uncertain` messages; an uncertain one needs `confirmed_not_received: "
                    "true` (the provider may have delivered it), recorded with your key as a "
                    "`resend_confirmed` event. Other statuses: 409 `conflict`; uncertain "
                    "without confirmation: 409 `confirmation_required`.")
    def post(self, request, message_id: int):
        data = validated(MessageResendInputSerializer(data=request.data))
        message = selectors.message_get(self.tenant, message_id)
        services.message_resend(self.tenant, message.pk, actor=api_actor(request),
                                confirmed_not_received=data["confirmed_not_received"])
        return Response(MessageSerializer(selectors.message_get(self.tenant, message.pk)).data,
                        status=status.HTTP_202_ACCEPTED)


# --- journeys ----------------------------------------------------------------------------

class JourneyListApi(TenantApiView):
    required_perms = {"GET": Perm.JOURNEYS_VIEW, "POST": Perm.JOURNEYS_MANAGE}

    @extend_schema(operation_id="journeys_list", parameters=PAGINATION_PARAMETERS,
                   responses=paginated_schema(JourneySerializer, "PaginatedJourneyList"),
                   summary="List journeys with their rules")
    def get(self, request):
        query_filters(request, NoFiltersSerializer)  # none: a filter sent is a typo, say so
        return paginated_response(request, self, selectors.journey_list(self.tenant),
                                  JourneySerializer, ordering=("-created_at", "-pk"))

    @extend_schema(
        request=JourneyInputSerializer, responses={201: JourneySerializer},
        summary="Create a journey, with its rules",
        description="Rules are checked like `POST /journeys/{id}/rules/`; errors name the rule, "
                    "e.g. `rules[1].template`. If any rule is invalid, nothing is created.",
        examples=[OpenApiExample("A journey", request_only=True, value={
            "name": "Repeat customers", "rules": [RULE_EXAMPLE]})])
    def post(self, request):
        data = validated(JourneyInputSerializer(data=request.data))
        actor = api_actor(request)
        with transaction.atomic():
            journey = services.journey_create(self.tenant, name=data["name"],
                                              enabled=data["enabled"], actor=actor)
            for index, rule in enumerate(data.get("rules", [])):
                try:
                    services.journey_rule_create(self.tenant, journey.pk, actor=actor,
                                                 **rule)
                except ValidationFailed as exc:
                    raise _prefixed(exc, f"rules[{index}]") from None
        return Response(JourneySerializer(selectors.journey_get(self.tenant, journey.pk)).data,
                        status=status.HTTP_201_CREATED)


class JourneyDetailApi(TenantApiView):
    required_perms = {"GET": Perm.JOURNEYS_VIEW, "PATCH": Perm.JOURNEYS_MANAGE,
                      "DELETE": Perm.JOURNEYS_MANAGE}

    @extend_schema(responses=JourneySerializer, summary="One journey with its rules")
    def get(self, request, journey_id: int):
        return Response(JourneySerializer(selectors.journey_get(self.tenant, journey_id)).data)

    @extend_schema(request=JourneyPatchSerializer, responses=JourneySerializer,
                   summary="Rename a journey, or switch it on or off")
    def patch(self, request, journey_id: int):
        journey = selectors.journey_get(self.tenant, journey_id)
        data = validated(JourneyPatchSerializer(data=request.data))
        services.journey_update(self.tenant, journey.pk, actor=api_actor(request), **data)
        return Response(JourneySerializer(selectors.journey_get(self.tenant, journey.pk)).data)

    @extend_schema(responses={204: None}, summary="Delete a journey and its rules",
                   description="Messages already planned by its rules keep their content.")
    def delete(self, request, journey_id: int):
        journey = selectors.journey_get(self.tenant, journey_id)
        services.journey_delete(self.tenant, journey.pk, actor=api_actor(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class JourneyRuleListApi(TenantApiView):
    required_perms = {"POST": Perm.JOURNEYS_MANAGE}

    @extend_schema(
        request=JourneyRuleInputSerializer, responses={201: JourneyRuleSerializer},
        summary="Add a rule at the end of a journey",
        description="`trigger` is a milestone; `template` must be of the rule's `channel`; quiet "
                    "hours take both ends or neither (an SMS rule without them gets 21:00–08:00; "
                    "send null for none); conditions errors name the key, e.g. "
                    "`conditions.customer`.",
        examples=[OpenApiExample("A rule", request_only=True, value=RULE_EXAMPLE)])
    def post(self, request, journey_id: int):
        journey = selectors.journey_get(self.tenant, journey_id)
        data = validated(JourneyRuleInputSerializer(data=request.data))
        rule = services.journey_rule_create(self.tenant, journey.pk, actor=api_actor(request),
                                            **data)
        return Response(JourneyRuleSerializer(selectors.journey_rule_get(self.tenant, rule.pk)).data,
                        status=status.HTTP_201_CREATED)


class JourneyRuleDetailApi(TenantApiView):
    required_perms = {"GET": Perm.JOURNEYS_VIEW, "PATCH": Perm.JOURNEYS_MANAGE,
                      "DELETE": Perm.JOURNEYS_MANAGE}

    def _rule(self, journey_id: int, rule_id: int):
        rule = selectors.journey_rule_get(self.tenant, rule_id)
        if rule.journey_id != journey_id:
            raise Http404("rule not in this journey")
        return rule

    @extend_schema(responses=JourneyRuleSerializer, summary="One rule of a journey")
    def get(self, request, journey_id: int, rule_id: int):
        return Response(JourneyRuleSerializer(self._rule(journey_id, rule_id)).data)

    @extend_schema(request=JourneyRulePatchSerializer, responses=JourneyRuleSerializer,
                   summary="Change some of a rule's fields",
                   description="The rule is checked whole after the change: switching `channel` "
                               "needs a `template` of that channel in the same request.")
    def patch(self, request, journey_id: int, rule_id: int):
        rule = self._rule(journey_id, rule_id)
        data = validated(JourneyRulePatchSerializer(data=request.data))
        services.journey_rule_update(self.tenant, rule.pk, actor=api_actor(request),
                                     **data)
        return Response(JourneyRuleSerializer(selectors.journey_rule_get(self.tenant, rule.pk)).data)

    @extend_schema(responses={204: None}, summary="Delete a rule",
                   description="Messages it already planned keep their content.")
    def delete(self, request, journey_id: int, rule_id: int):
        rule = self._rule(journey_id, rule_id)
        services.journey_rule_delete(self.tenant, rule.pk, actor=api_actor(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- templates ---------------------------------------------------------------------------

class TemplateListApi(TenantApiView):
    required_perms = {"GET": Perm.JOURNEYS_VIEW, "POST": Perm.JOURNEYS_MANAGE}

    @extend_schema(operation_id="templates_list",
                   parameters=[TemplateFilterSerializer, *PAGINATION_PARAMETERS],
                   responses=paginated_schema(TemplateSerializer, "PaginatedTemplateList"),
                   summary="List templates with their current version in each locale")
    def get(self, request):
        templates = selectors.template_list(self.tenant,
                                            **query_filters(request, TemplateFilterSerializer))
        return paginated_response(request, self, templates, TemplateSerializer,
                                  ordering=("-created_at", "-pk"))

    @extend_schema(request=TemplateInputSerializer, responses={201: TemplateSerializer},
                   summary="Create a template (its content comes with its first version)")
    def post(self, request):
        data = validated(TemplateInputSerializer(data=request.data))
        template = services.template_create(self.tenant, actor=api_actor(request), **data)
        return Response(TemplateSerializer(selectors.template_get(self.tenant, template.pk)).data,
                        status=status.HTTP_201_CREATED)


class TemplateDetailApi(TenantApiView):
    required_perms = {"GET": Perm.JOURNEYS_VIEW, "PATCH": Perm.JOURNEYS_MANAGE}

    @extend_schema(responses=TemplateSerializer,
                   summary="One template with its current version in each locale")
    def get(self, request, template_id: int):
        return Response(TemplateSerializer(selectors.template_get(self.tenant, template_id)).data)

    @extend_schema(request=TemplatePatchSerializer, responses=TemplateSerializer,
                   summary="Rename a template, or change whether it carries marketing content")
    def patch(self, request, template_id: int):
        template = selectors.template_get(self.tenant, template_id)
        data = validated(TemplatePatchSerializer(data=request.data))
        services.template_update(self.tenant, template.pk, actor=api_actor(request), **data)
        return Response(TemplateSerializer(selectors.template_get(self.tenant, template.pk)).data)


class TemplateVersionListApi(TenantApiView):
    required_perms = {"GET": Perm.JOURNEYS_VIEW, "POST": Perm.JOURNEYS_MANAGE}

    @extend_schema(operation_id="template_versions_list",
                   parameters=[TemplateVersionFilterSerializer, *PAGINATION_PARAMETERS],
                   responses=paginated_schema(TemplateVersionSerializer,
                                              "PaginatedTemplateVersionList"),
                   summary="A template's version history, newest first")
    def get(self, request, template_id: int):
        template = selectors.template_get(self.tenant, template_id)
        versions = selectors.template_versions(
            self.tenant, template.pk, **query_filters(request, TemplateVersionFilterSerializer))
        return paginated_response(request, self, versions, TemplateVersionSerializer,
                                  ordering=("-created_at", "-pk"))

    @extend_schema(
        request=TemplateVersionInputSerializer, responses={201: TemplateVersionSerializer},
        summary="Save a new version of a template in one locale",
        description="Every save is a new version; the newest per locale is used from then on. "
                    "The template is compiled and checked first: an error names the field and "
                    'line, e.g. `{"body": ["line 3: unexpected \'}\'"]}`, and nothing is saved.',
        examples=[OpenApiExample("An SMS text", request_only=True, value={
            "locale": "en", "body": "Hi {{ customer.first_name }}, your parcel is out for "
                                    "delivery today: {{ tracking_url }}"})])
    def post(self, request, template_id: int):
        template = selectors.template_get(self.tenant, template_id)
        data = validated(TemplateVersionInputSerializer(data=request.data))
        version = template_version_save(self.tenant, template, **data)
        return Response(TemplateVersionSerializer(version).data, status=status.HTTP_201_CREATED)
