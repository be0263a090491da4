"""Input serializers are strict (an unknown field or a wrong JSON type is an error) and name
each bad field by its path; the services judge what the types cannot (the policy, the status).
Output serializers are read-only views of the rows, prefetched by the selectors."""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api.serializers import OutputModelSerializer, StrictSerializer

from ..models import (
    ItemCondition,
    Resolution,
    ReturnEvent,
    ReturnLine,
    ReturnMethod,
    ReturnPolicy,
    ReturnReason,
    ReturnRequest,
    ReturnRule,
    ReturnStatus,
)
from ..selectors import QUEUE_AGES, return_status_url
from ..services import RuleInput
from ..services.policy import MAX_RULES, MAX_WINDOW_DAYS

MAX_LINES = 100


def _money(**options) -> serializers.DecimalField:
    """An amount, zero or more (as the models' money fields)."""
    return serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0"),
                                    **options)


def _percent(**options) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=5, decimal_places=2, min_value=Decimal("0"),
                                    max_value=Decimal("100"), **options)


# --- returns: input --------------------------------------------------------------------

class ReturnLineInputSerializer(StrictSerializer):
    line_item = serializers.IntegerField(min_value=1, help_text="The order line's id "
                                                                "(`lines[].id` of the order).")
    quantity = serializers.IntegerField(min_value=1, max_value=100_000)
    reason = serializers.ChoiceField(choices=ReturnReason.choices,
                                     help_text="One of the store's reasons (the policy's "
                                               "`reasons`).")
    comment = serializers.CharField(required=False, allow_blank=True, max_length=1000,
                                    default="")
    exchange_product = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, default=None,
        help_text="For an exchange: the product id of the variant wanted (same category, in "
                  "stock).")


class ReturnCreateSerializer(StrictSerializer):
    order = serializers.IntegerField(min_value=1, help_text="The order's id.")
    lines = serializers.ListField(child=ReturnLineInputSerializer(), allow_empty=False,
                                  max_length=MAX_LINES)
    resolution = serializers.ChoiceField(choices=Resolution.choices)
    method = serializers.ChoiceField(
        choices=ReturnMethod.choices,
        help_text="`none` goes with `keep_it` (nothing is sent back), and only with it.")
    locale = serializers.CharField(required=False, allow_blank=True, max_length=10, default="",
                                   help_text="The shopper's language for messages; blank: "
                                             "theirs, else the store's.")
    is_gift = serializers.BooleanField(required=False, default=False,
                                       help_text="Returned by a gift's recipient: store credit "
                                                 "only, as the policy says for gifts.")


class ReturnRejectSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=500, help_text="Why; the shopper is told.")


class ReturnReceiveLineSerializer(StrictSerializer):
    line = serializers.IntegerField(min_value=1, help_text="The return line's id (`lines[].id`).")
    received_quantity = serializers.IntegerField(min_value=0, max_value=100_000)
    condition = serializers.ChoiceField(choices=ItemCondition.choices, required=False,
                                        allow_blank=True, default="")


class ReturnReceiveSerializer(StrictSerializer):
    lines = serializers.ListField(
        child=ReturnReceiveLineSerializer(), required=False, max_length=MAX_LINES,
        help_text="What was found per line; lines left out arrived as announced (condition "
                  "unknown). Left out entirely: everything arrived.")


class ReturnSettleSerializer(StrictSerializer):
    amount = _money(help_text="Refunded, credited (bonus included) "
                                                          "or the exchange's value.")
    reference = serializers.CharField(required=False, allow_blank=True, max_length=200,
                                      default="",
                                      help_text="Your payment, gift card or exchange order id.")


class ReturnFilterSerializer(StrictSerializer):
    status = serializers.ChoiceField(choices=ReturnStatus.choices, required=False)
    reason = serializers.ChoiceField(choices=ReturnReason.choices, required=False,
                                     help_text="Returns with at least one line for this reason.")
    needs_review = serializers.BooleanField(required=False, allow_null=True, default=None,
                                            help_text="true: waiting for review only; false: "
                                                      "all but those.")
    age = serializers.ChoiceField(choices=list(QUEUE_AGES), required=False,
                                  help_text="Started more than 2, 7 or 30 days ago (as the "
                                            "dashboard's queue).")
    order = serializers.IntegerField(required=False, min_value=1, help_text="The order's id.")
    created_after = serializers.DateTimeField(required=False, help_text="Created at or after.")
    created_before = serializers.DateTimeField(required=False, help_text="Created before.")


# --- returns: output -------------------------------------------------------------------

class ReturnLineSerializer(OutputModelSerializer):
    line_item = serializers.IntegerField(source="line_item_id")
    title = serializers.CharField(source="line_item.title")
    sku = serializers.CharField(source="line_item.sku")
    exchange_product = serializers.IntegerField(source="exchange_product_id", allow_null=True)
    photos = serializers.SerializerMethodField(help_text="How many photos the shopper sent "
                                                         "(seen in the dashboard).")

    class Meta:
        model = ReturnLine
        fields = ["id", "line_item", "title", "sku", "quantity", "reason", "comment",
                  "unit_price", "exchange_product", "received_quantity", "condition", "photos"]
        read_only_fields = fields

    def get_photos(self, line: ReturnLine) -> int:
        return len(line.photos.all()) if "photos" in getattr(
            line, "_prefetched_objects_cache", {}) else line.photos.count()


class ReturnEventSerializer(OutputModelSerializer):
    class Meta:
        model = ReturnEvent
        fields = ["status", "summary", "actor", "occurred_at", "public", "data"]
        read_only_fields = fields
        extra_kwargs = {"public": {"help_text": "Shown to the shopper on the status page."}}


class ReturnSerializer(OutputModelSerializer):
    order_number = serializers.CharField(source="order.number")
    policy_version = serializers.IntegerField(source="policy.version",
                                              help_text="The policy version it was judged by.")
    status_url = serializers.SerializerMethodField(help_text="The shopper's status page.")
    review_reasons = serializers.ListField(
        child=serializers.CharField(), help_text="Why it waits for a person: rule, order_value, "
                                                 "frequent_returns, high_value.")
    lines = ReturnLineSerializer(many=True)

    class Meta:
        model = ReturnRequest
        fields = ["id", "number", "order", "order_number", "customer", "status", "resolution",
                  "method", "created_via", "created_by", "locale", "review_reasons",
                  "rejection_reason", "currency", "items_value", "fee", "refund_amount",
                  "credit_amount", "settled_amount", "settled_reference", "label_carrier",
                  "label_tracking_number", "label_url", "policy_version", "status_url",
                  "received_at", "settled_at", "created_at", "updated_at", "lines"]
        read_only_fields = fields
        extra_kwargs = {
            "refund_amount": {"help_text": "To the original payment, fees taken off (as quoted)."},
            "credit_amount": {"help_text": "Store credit, bonus included (as quoted)."},
        }

    def get_status_url(self, request: ReturnRequest) -> str:
        return return_status_url(self.context["tenant"], request.public_token,
                                 domain=self.context.get("domain"))


class ReturnDetailSerializer(ReturnSerializer):
    events = ReturnEventSerializer(many=True, help_text="The timeline, oldest first.")

    class Meta(ReturnSerializer.Meta):
        fields = [*ReturnSerializer.Meta.fields, "events"]
        read_only_fields = fields


# --- the policy ------------------------------------------------------------------------

class ReturnAddressSerializer(StrictSerializer):
    name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    address1 = serializers.CharField(required=False, allow_blank=True, max_length=200)
    address2 = serializers.CharField(required=False, allow_blank=True, max_length=200)
    city = serializers.CharField(required=False, allow_blank=True, max_length=100)
    postcode = serializers.CharField(required=False, allow_blank=True, max_length=20)
    country_code = serializers.RegexField(r"^[A-Z]{2}$", required=False, allow_blank=True,
                                          error_messages={"invalid": "Use a two-letter ISO 3166 "
                                                                     "code in upper case, e.g. DE."})


def _texts(help_text: str, **options) -> serializers.ListField:
    return serializers.ListField(child=serializers.CharField(max_length=100), max_length=200,
                                 help_text=help_text, **options)


class ReturnRuleSerializer(StrictSerializer):
    reasons = serializers.ListField(child=serializers.ChoiceField(choices=ReturnReason.choices),
                                    required=False, default=list,
                                    help_text="Matches these reasons; empty: any.")
    categories = _texts("Matches products of these catalog categories; empty: any.",
                        required=False, default=list)
    max_unit_price = _money(required=False, allow_null=True,
                                              default=None,
                                              help_text="Matches items costing at most this.")
    resolutions = serializers.ListField(
        child=serializers.ChoiceField(choices=Resolution.choices), required=False, default=list,
        help_text="What the shopper may choose; empty: the policy's defaults.")
    needs_review = serializers.BooleanField(required=False, default=False,
                                            help_text="A person approves first.")


class ReturnPolicyInputSerializer(StrictSerializer):
    window_days = serializers.IntegerField(min_value=0, max_value=MAX_WINDOW_DAYS,
                                           help_text="Days from delivery (or from the order "
                                                     "when never delivered).")
    category_window_days = serializers.DictField(
        child=serializers.IntegerField(min_value=0, max_value=MAX_WINDOW_DAYS),
        help_text='A catalog category\'s own window, e.g. {"Swimwear": 14}.')
    non_returnable_categories = _texts("Catalog categories that cannot go back.")
    non_returnable_tags = _texts("Product tags that cannot go back.")
    final_sale_tags = _texts("Product tags sold as final sale.")
    gift_returns_allowed = serializers.BooleanField(help_text="Gifts go back as store credit; "
                                                              "false: not online at all.")
    review_above_order_value = _money(allow_null=True,
                                      help_text="Orders worth more go to review; null: none.")
    reasons = serializers.ListField(child=serializers.ChoiceField(choices=ReturnReason.choices),
                                    allow_empty=False, help_text="The reasons shoppers choose from.")
    default_resolutions = serializers.ListField(
        child=serializers.ChoiceField(choices=Resolution.choices), allow_empty=False,
        help_text="Offered when no rule matches.")
    store_credit_bonus_percent = _percent(help_text="On top of store credit.")
    return_shipping_fee = _money(help_text="Taken off a refund.")
    restocking_percent = _percent(help_text="Of the items' value, "
                                                                        "taken off a refund.")
    fees_waived_for = serializers.ListField(
        child=serializers.ChoiceField(choices=Resolution.choices),
        help_text="Resolutions without fees (keep it never has any).")
    fraud_max_returns_90d = serializers.IntegerField(
        min_value=0, max_value=10_000, allow_null=True,
        help_text="A shopper with more returns in 90 days goes to review; null: no limit.")
    fraud_review_above_value = _money(allow_null=True,
                                      help_text="A return worth more goes to review; null: none.")
    refund_due_business_days = serializers.IntegerField(
        min_value=1, max_value=60,
        help_text="After receipt; past it the shopper is told the refund is late (once).")
    return_address = ReturnAddressSerializer(help_text="Where self-shipped parcels go.")
    label_carriers = _texts("Carriers a prepaid label may use; empty: any.")
    rules = serializers.ListField(child=ReturnRuleSerializer(), max_length=MAX_RULES,
                                  help_text="Tried in order; the first match decides.")

    @staticmethod
    def to_fields(data: dict) -> tuple[dict, list[RuleInput] | None]:
        data = dict(data)
        rules = data.pop("rules", None)
        return data, (None if rules is None else [RuleInput(**rule) for rule in rules])


def _out_texts() -> serializers.ListField:
    return serializers.ListField(child=serializers.CharField())


class ReturnPolicySerializer(OutputModelSerializer):
    category_window_days = serializers.DictField(child=serializers.IntegerField())
    non_returnable_categories = _out_texts()
    non_returnable_tags = _out_texts()
    final_sale_tags = _out_texts()
    reasons = serializers.ListField(child=serializers.ChoiceField(choices=ReturnReason.choices))
    default_resolutions = serializers.ListField(
        child=serializers.ChoiceField(choices=Resolution.choices))
    fees_waived_for = serializers.ListField(
        child=serializers.ChoiceField(choices=Resolution.choices))
    return_address = ReturnAddressSerializer()
    label_carriers = _out_texts()
    rules = serializers.SerializerMethodField()

    class Meta:
        model = ReturnPolicy
        fields = ["id", "version", "window_days", "category_window_days",
                  "non_returnable_categories", "non_returnable_tags", "final_sale_tags",
                  "gift_returns_allowed", "review_above_order_value", "reasons",
                  "default_resolutions", "store_credit_bonus_percent", "return_shipping_fee",
                  "restocking_percent", "fees_waived_for", "fraud_max_returns_90d",
                  "fraud_review_above_value", "refund_due_business_days", "return_address",
                  "label_carriers", "rules", "created_at", "created_by"]
        read_only_fields = fields

    @extend_schema_field(ReturnRuleSerializer(many=True))
    def get_rules(self, policy: ReturnPolicy) -> list[dict]:
        rules: list[ReturnRule] = sorted(policy.rules.all(), key=lambda r: r.position)
        return [{"reasons": r.reasons, "categories": r.categories,
                 "max_unit_price": (None if r.max_unit_price is None
                                    else f"{r.max_unit_price:.2f}"),
                 "resolutions": r.resolutions, "needs_review": r.needs_review} for r in rules]
