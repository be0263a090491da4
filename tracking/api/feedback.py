"""Delivery ratings shoppers gave on the tracking page: one shipment's, and the list with
filters (a rating, the low ones flagged for agents, a time window). Read-only: ratings are the
shopper's words, written through the tracking page only."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from config.api.serializers import OutputModelSerializer, StrictSerializer
from config.errors import NotFound
from tenants.access import access_scoped
from tenants.api.base import (
    PAGINATION_PARAMETERS,
    TenantApiView,
    paginated_response,
    paginated_schema,
    query_filters,
)
from tenants.permissions import Perm

from .. import selectors
from ..models import DeliveryFeedback, Shipment


class FeedbackFilterSerializer(StrictSerializer):
    rating = serializers.IntegerField(required=False, min_value=1, max_value=5,
                                      help_text="Only this many stars (1 to 5).")
    low = serializers.BooleanField(required=False, allow_null=True, default=None,
                                   help_text="true: only low ratings (2 stars or fewer), flagged "
                                             "for your agents; false: only the others.")
    shipment = serializers.IntegerField(required=False, min_value=1, source="shipment_id",
                                        help_text="A shipment's id.")
    created_after = serializers.DateTimeField(required=False, help_text="Given at or after.")
    created_before = serializers.DateTimeField(required=False, help_text="Given before.")


class FeedbackSerializer(OutputModelSerializer):
    tracking_number = serializers.CharField(source="shipment.tracking_number", read_only=True)
    order_id = serializers.IntegerField(source="shipment.order_id", read_only=True,
                                        allow_null=True)
    order_number = serializers.SerializerMethodField()
    editable_until = serializers.DateTimeField(
        read_only=True, help_text="Until then the shopper may still change the rating.")

    class Meta:
        model = DeliveryFeedback
        fields = ["id", "shipment_id", "tracking_number", "order_id", "order_number", "rating",
                  "comment", "low", "created_at", "updated_at", "editable_until"]
        read_only_fields = fields
        extra_kwargs = {
            "rating": {"help_text": "1 to 5 stars."},
            "low": {"help_text": "2 stars or fewer: flagged for your agents."},
            "created_at": {"help_text": "When the shopper first rated the delivery."},
            "updated_at": {"help_text": "When the rating last changed."},
        }

    def get_order_number(self, feedback: DeliveryFeedback) -> str | None:
        order = feedback.shipment.order
        return order.number if order is not None else None


class FeedbackListApi(TenantApiView):
    required_perms = {"GET": Perm.ORDERS_VIEW}

    @extend_schema(
        operation_id="feedback_list",
        parameters=[FeedbackFilterSerializer, *PAGINATION_PARAMETERS],
        responses=paginated_schema(FeedbackSerializer, "PaginatedFeedbackList"),
        summary="List delivery ratings, newest first",
        description="What shoppers said about their deliveries on the tracking page: 1 to 5 "
                    "stars and an optional comment, one per shipment, which the shopper may "
                    "change for 14 days. `low=true` lists the ratings of 2 stars or fewer.")
    def get(self, request):
        feedback = selectors.delivery_feedback_list(
            self.tenant, **query_filters(request, FeedbackFilterSerializer))
        return paginated_response(request, self, feedback, FeedbackSerializer,
                                  ordering=("-created_at", "-pk"))


class ShipmentFeedbackApi(TenantApiView):
    required_perms = {"GET": Perm.ORDERS_VIEW}

    @extend_schema(
        operation_id="shipments_feedback",
        responses={200: FeedbackSerializer,
                   404: OpenApiResponse(description="`not_found`: no such shipment; "
                                                    "`feedback_not_found`: not rated yet.")},
        summary="A shipment's delivery rating")
    def get(self, request, shipment_id: int):
        shipment = access_scoped(Shipment, self.tenant, shipment_id)  # 404 alike: not ours
        feedback = selectors.delivery_feedback_list(self.tenant, shipment_id=shipment.pk).first()
        if feedback is None:
            raise NotFound("The shopper has not rated this delivery yet.",
                           code="feedback_not_found")
        return Response(FeedbackSerializer(feedback).data)
