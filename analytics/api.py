"""GET /api/v1/analytics/kpis/: every KPI of the Analytics area for a period, with the
previous period of the same length beside it, and the tables under its charts."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from config.api.serializers import StrictSerializer
from config.errors import ValidationFailed
from tenants.api.base import TenantApiView, query_filters
from tenants.permissions import Perm

from .filters import filters_from
from .kpis import KPIS
from .selectors import dashboard, period_parse


class KpiQuerySerializer(StrictSerializer):
    """The period and the dashboard's filters, in the query string."""

    channel = serializers.ChoiceField(choices=["email", "sms"], required=False,
                                      help_text="Only messages on this channel.")
    journey = serializers.IntegerField(required=False, min_value=1,
                                       help_text="Only messages of this journey (its id).")
    locale = serializers.RegexField(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})?$", max_length=10,
                                    required=False, help_text="Only messages in this language.")
    carrier = serializers.CharField(max_length=32, required=False,
                                    help_text="Only shipments of this carrier (e.g. DHL).")


# `from` is a Python keyword: declared by name.
KpiQuerySerializer._declared_fields = {
    "from": serializers.DateField(help_text="First day of the period (YYYY-MM-DD, the store's "
                                            "time zone).", format="%Y-%m-%d",
                                  input_formats=["%Y-%m-%d"]),
    "to": serializers.DateField(help_text="Last day of the period, included; a period is "
                                          "at most 731 days long.", format="%Y-%m-%d",
                                input_formats=["%Y-%m-%d"]),
    **KpiQuerySerializer._declared_fields,
}


class KpiValueSerializer(serializers.Serializer):
    value = serializers.FloatField(allow_null=True, help_text="null: no data (nothing to "
                                                              "divide by)")
    previous = serializers.FloatField(allow_null=True,
                                      help_text="The same KPI over the previous period")
    change = serializers.FloatField(allow_null=True, help_text="(value - previous) / previous; "
                                                               "null when either is null or 0")


class PeriodSerializer(serializers.Serializer):
    first = serializers.DateField()
    last = serializers.DateField()


class TableSerializer(serializers.Serializer):
    title = serializers.CharField()
    columns = serializers.ListField(child=serializers.CharField())
    rows = serializers.ListField(child=serializers.ListField(child=serializers.JSONField()))


KpisSerializer = type("KpisSerializer", (serializers.Serializer,), {
    kpi.name: KpiValueSerializer(help_text=f"{kpi.label}: {kpi.formula} ({kpi.unit}).")
    for kpi in KPIS
})


class KpiReportSerializer(serializers.Serializer):
    period = PeriodSerializer()
    previous_period = PeriodSerializer()
    kpis = KpisSerializer()
    tables = serializers.DictField(child=TableSerializer(),
                                   help_text="The tables under the dashboard's charts, by name.")


class AnalyticsKpisApi(TenantApiView):
    required_perms = {"GET": Perm.ANALYTICS_VIEW}

    @extend_schema(
        operation_id="analytics_kpis",
        parameters=[KpiQuerySerializer],
        responses={200: KpiReportSerializer},
        summary="Every KPI of a period, beside the previous period",
        description="Messaging, delivery, shopper and repeat-purchase KPIs (docs/analytics.md "
                    "defines each) over the store's days from `from` to `to`, from the daily "
                    "rollups, with the period of the same length just before. `channel`, "
                    "`journey` and `locale` narrow the messaging KPIs, `carrier` the delivery "
                    "KPIs. Rates are fractions (0 to 1); a rate with nothing to divide by is "
                    "null.",
        examples=[OpenApiExample("A week", value={
            "period": {"first": "2026-03-02", "last": "2026-03-08"},
            "previous_period": {"first": "2026-02-23", "last": "2026-03-01"},
            "kpis": {"emails_sent": {"value": 120, "previous": 100, "change": 0.2},
                     "open_rate": {"value": 0.5, "previous": None, "change": None}},
            "tables": {}}, response_only=True)])
    def get(self, request):
        query = query_filters(request, KpiQuerySerializer)
        period, problems = period_parse(query["from"], query["to"])
        if period is None:
            raise ValidationFailed("The period is not valid; see details.",
                                   details={name: [words] for name, words in problems.items()})
        filters = filters_from(query)
        board = dashboard(self.tenant, period, filters)
        report = board.report
        return Response({
            "period": {"first": period.first, "last": period.last},
            "previous_period": {"first": report.previous_period.first,
                                "last": report.previous_period.last},
            "kpis": {name: {"value": v.value, "previous": v.previous, "change": v.change}
                     for name, v in report.values.items()},
            "tables": {table.name: {"title": table.title, "columns": list(table.columns),
                                    "rows": [list(row) for row in table.rows]}
                       for table in board.tables},
        })
