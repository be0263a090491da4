"""/api/v1/recommendations/…: the retailer's control of recommendations (settings, pinned,
blocked and curated products, category rules), a preview with the reason for each pick, an
on-demand recompute and attributed revenue."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import cast

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from config.api.serializers import StrictSerializer
from config.errors import NotFound
from orders.models import Order, Product
from tenants.access import access_scoped
from tenants.api.base import TenantApiView, api_actor, query_filters, validated
from tenants.permissions import Perm
from tenants.queueing import enqueue_on_commit

from . import services, tasks
from .learning import settings_get
from .models import CategoryRule, ProductRule, Surface
from .selectors import attribution_summary, recommendation_preview

KINDS = {"pinned": ProductRule.Kind.PIN, "blocked": ProductRule.Kind.BLOCK,
         "curated": ProductRule.Kind.CURATED}
VIEW, MANAGE = Perm.JOURNEYS_VIEW, Perm.JOURNEYS_MANAGE  # marketing configuration, as journeys


class SettingsSerializer(serializers.Serializer):
    window_days = serializers.IntegerField(min_value=7, max_value=3650,
                                           help_text="How far back orders are learned from.")
    half_life_days = serializers.IntegerField(
        min_value=1, max_value=3650, help_text="An order this old counts half as much.")
    min_support = serializers.IntegerField(
        min_value=1, max_value=1000, help_text="Orders a pair needs before it is learned.")
    top_k = serializers.IntegerField(min_value=1, max_value=100,
                                     help_text="Related products kept per product and kind.")
    email_limit = serializers.IntegerField(min_value=0, max_value=12,
                                           help_text="Products shown in an e-mail.")
    tracking_page_limit = serializers.IntegerField(
        min_value=0, max_value=12, help_text="Products shown on the tracking page.")
    attribution_days = serializers.IntegerField(
        min_value=1, max_value=90, help_text="Days after a click in which an order counts.")
    computed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    compute_seconds = serializers.FloatField(read_only=True, allow_null=True)


class SettingsPatchSerializer(StrictSerializer, SettingsSerializer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False


def _settings_data(tenant) -> dict:
    config = settings_get(tenant)
    return {name: getattr(config, name)
            for name in (*services.SETTINGS_FIELDS, "computed_at", "compute_seconds")}


class RecommendationSettingsApi(TenantApiView):
    required_perms = {"GET": VIEW, "PATCH": MANAGE}

    @extend_schema(operation_id="recommendation_settings_get", responses=SettingsSerializer,
                   summary="How recommendations are learned and shown")
    def get(self, request):
        return Response(SettingsSerializer(_settings_data(self.tenant)).data)

    @extend_schema(operation_id="recommendation_settings_update",
                   request=SettingsPatchSerializer, responses=SettingsSerializer,
                   summary="Change some of the settings")
    def patch(self, request):
        data = cast(dict, validated(SettingsPatchSerializer(data=request.data)))
        services.recommendation_settings_update(self.tenant, dict(data),
                                                actor=api_actor(request))
        return Response(SettingsSerializer(_settings_data(self.tenant)).data)


class ProductListSerializer(StrictSerializer):
    product_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), max_length=200,
        help_text="Product ids, in the order shown (at most 200).")


class RecommendationProductRulesApi(TenantApiView):
    required_perms = {"GET": VIEW, "PUT": MANAGE}

    def _kind(self, kind: str) -> str:
        if kind not in KINDS:  # a path segment: an unknown list is not found
            raise NotFound("No such list: one of pinned, blocked, curated.")
        return KINDS[kind]

    @extend_schema(operation_id="recommendation_product_rules_get",
                   responses=ProductListSerializer,
                   summary="Pinned (shown first), blocked (never shown) or curated (the last "
                           "fallback) products")
    def get(self, request, kind: str):
        ids = list(ProductRule.objects.filter(kind=self._kind(kind)).order_by(
            "position", "pk").values_list("product_id", flat=True))
        return Response({"product_ids": ids})

    @extend_schema(operation_id="recommendation_product_rules_set",
                   request=ProductListSerializer, responses=ProductListSerializer,
                   summary="Replace the pinned, blocked or curated products",
                   description="An id that is not one of the store's products is refused by "
                               "name in `details.product_ids`, and nothing changes.")
    def put(self, request, kind: str):
        rule_kind = self._kind(kind)
        data = cast(dict, validated(ProductListSerializer(data=request.data)))
        ids = services.product_rules_replace(self.tenant, rule_kind, data["product_ids"],
                                             actor=api_actor(request))
        return Response({"product_ids": ids})


class CategoryRuleSerializer(StrictSerializer):
    category = serializers.CharField(max_length=100, help_text="After a purchase in it …")
    related_categories = serializers.ListField(
        child=serializers.CharField(max_length=100), max_length=20,
        help_text="… show products of these, in this order.")


class CategoryRulesSerializer(StrictSerializer):
    rules = serializers.ListField(child=CategoryRuleSerializer(), max_length=200)


class RecommendationCategoryRulesApi(TenantApiView):
    required_perms = {"GET": VIEW, "PUT": MANAGE}

    @extend_schema(operation_id="recommendation_category_rules_get",
                   responses=CategoryRulesSerializer,
                   summary='Category rules ("after Tents show Sleeping bags, Stoves")')
    def get(self, request):
        return Response({"rules": [
            {"category": c, "related_categories": r}
            for c, r in CategoryRule.objects.order_by("category").values_list(
                "category", "related_categories")]})

    @extend_schema(operation_id="recommendation_category_rules_set",
                   request=CategoryRulesSerializer, responses=CategoryRulesSerializer,
                   summary="Replace the category rules")
    def put(self, request):
        data = cast(dict, validated(CategoryRulesSerializer(data=request.data)))
        rules = services.category_rules_replace(
            self.tenant, {r["category"]: r["related_categories"] for r in data["rules"]},
            actor=api_actor(request))
        return Response({"rules": [{"category": c, "related_categories": r}
                                   for c, r in rules.items()]})


class PreviewQuerySerializer(StrictSerializer):
    order = serializers.IntegerField(min_value=1, required=False,
                                     help_text="An order's id: what its shopper would see.")
    product = serializers.IntegerField(min_value=1, required=False,
                                       help_text="A product's id: what follows a purchase of it.")
    placement = serializers.ChoiceField(choices=Surface.values, default=Surface.EMAIL)
    limit = serializers.IntegerField(min_value=1, max_value=12, required=False,
                                     help_text="Default: the placement's count.")

    def validate(self, attrs):
        if ("order" in attrs) == ("product" in attrs):
            raise serializers.ValidationError({"order": ["Give an order or a product."]})
        return attrs


class PickProductSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    category = serializers.CharField(allow_blank=True)


class PreviewPickSerializer(serializers.Serializer):
    product = PickProductSerializer()
    rule = serializers.CharField(help_text="The step that chose it: pinned, complement, "
                                           "category_rule, category_complement, best_seller, "
                                           "curated or catalog.")
    score = serializers.FloatField()
    because = PickProductSerializer(many=True, help_text="For a complement: what it goes with.")


class PreviewSerializer(serializers.Serializer):
    picks = PreviewPickSerializer(many=True)


def _product(p: Product) -> dict:
    return {"id": p.pk, "title": p.title, "category": p.category}


class RecommendationPreviewApi(TenantApiView):
    required_perms = {"GET": VIEW}

    @extend_schema(operation_id="recommendation_preview", parameters=[PreviewQuerySerializer],
                   responses={200: PreviewSerializer,
                              404: OpenApiResponse(description="`not_found`: no such order or "
                                                   "product in this store")},
                   summary="What would be recommended, and why")
    def get(self, request):
        query = query_filters(request, PreviewQuerySerializer)
        order = access_scoped(Order, self.tenant, query["order"]) if "order" in query else None
        product = (access_scoped(Product, self.tenant, query["product"])
                   if "product" in query else None)
        rows = recommendation_preview(order=order, product=product, surface=query["placement"],
                                      limit=query.get("limit"))
        return Response({"picks": [{"product": _product(r.product), "rule": r.step,
                                    "score": r.score, "because": [_product(b) for b in r.because]}
                                   for r in rows]})


class QueuedSerializer(serializers.Serializer):
    queued = serializers.BooleanField()


class RecommendationRecomputeApi(TenantApiView):
    required_perms = {"POST": MANAGE}

    @extend_schema(operation_id="recommendation_recompute", request=None,
                   responses={202: QueuedSerializer},
                   summary="Relearn from the store's orders now",
                   description="Queued; the settings' `computed_at` says when it finished.")
    def post(self, request):
        enqueue_on_commit(tasks.associations_recompute, self.tenant.pk)
        return Response({"queued": True}, status=status.HTTP_202_ACCEPTED)


class AttributionQuerySerializer(StrictSerializer):
    days = serializers.IntegerField(min_value=1, max_value=731, default=30,
                                    help_text="The last N days, today included.")


class PlacementSerializer(serializers.Serializer):
    surface = serializers.CharField()
    milestone = serializers.CharField(allow_blank=True)
    currency = serializers.CharField(allow_blank=True)
    clicks = serializers.IntegerField()
    orders = serializers.IntegerField()
    revenue = serializers.DecimalField(max_digits=14, decimal_places=2)
    recommended_revenue = serializers.DecimalField(max_digits=14, decimal_places=2)


class ProductFiguresSerializer(serializers.Serializer):
    product_id = serializers.IntegerField()
    currency = serializers.CharField(allow_blank=True)
    clicks = serializers.IntegerField()
    orders = serializers.IntegerField()
    recommended_revenue = serializers.DecimalField(max_digits=14, decimal_places=2)


class AttributionSerializer(serializers.Serializer):
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    placements = PlacementSerializer(many=True)
    products = ProductFiguresSerializer(many=True)


class RecommendationAttributionApi(TenantApiView):
    required_perms = {"GET": Perm.ANALYTICS_VIEW}

    @extend_schema(operation_id="recommendation_attribution",
                   parameters=[AttributionQuerySerializer], responses=AttributionSerializer,
                   summary="Clicks and attributed revenue, per placement and per product",
                   description="An order placed within the attribution window after a click on "
                               "a recommended product counts for the placement of the latest "
                               "click: `revenue` is the orders' totals, `recommended_revenue` "
                               "the clicked products' lines in them.")
    def get(self, request):
        query = query_filters(request, AttributionQuerySerializer)
        until = timezone.now()
        since = datetime.combine((until - timedelta(days=query["days"] - 1)).date(), time.min,
                                 tzinfo=until.tzinfo)
        summary = attribution_summary(self.tenant, since, until)
        return Response(AttributionSerializer({
            "since": since, "until": until,
            "placements": [vars(p) for p in summary.placements],
            "products": [vars(p) for p in summary.products]}).data)
