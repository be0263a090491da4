"""Input serializers are strict (an unknown field is an error, so a typo never loses data) and
turn into the services' input dataclasses; output serializers are read-only views of rows."""

from __future__ import annotations

import re
from zoneinfo import available_timezones

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api.serializers import OutputModelSerializer, StrictSerializer

from ..models import MONEY, ConsentSource, Customer, LineItem, Order, OrderEvent, Product, currency_code, e164
from ..search import MAX_QUERY
from ..services import CustomerInput, LineInput, OrderInput, ProductInput

MAX_PRODUCTS_PER_REQUEST = 1000
MAX_LINES_PER_ORDER = 500
COUNTRY_CODE = re.compile(r"^[A-Z]{2}$")
LOCALE = re.compile(r"^[a-z]{2}(-[A-Z]{2})?$")

_money = {**MONEY, "min_value": 0}


# --- input -----------------------------------------------------------------------------

class CustomerInputSerializer(StrictSerializer):
    external_id = serializers.CharField(max_length=100, help_text="Your id for this shopper.")
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=16,
                                  validators=[e164], help_text="E.164, e.g. +4915112345678.")
    first_name = serializers.CharField(required=False, allow_blank=True, max_length=100)
    last_name = serializers.CharField(required=False, allow_blank=True, max_length=100)
    locale = serializers.CharField(required=False, allow_blank=True, max_length=10,
                                   help_text="e.g. en, de; blank: the store's.")
    timezone = serializers.CharField(required=False, allow_blank=True, max_length=64,
                                     help_text="IANA name, e.g. Europe/Berlin; blank: the store's.")
    consents = serializers.DictField(
        child=serializers.BooleanField(), required=False,
        help_text=f"Channel → given, for any of {', '.join(Customer.CONSENT_CHANNELS)}; "
                  "channels left out keep their value.")
    consent_source = serializers.ChoiceField(choices=ConsentSource.choices, default=ConsentSource.API,
                                             help_text="How the shopper gave the consents sent.")

    def validate_timezone(self, value: str) -> str:
        if value and value not in available_timezones():
            raise serializers.ValidationError("Use an IANA time zone name, e.g. Europe/Berlin.")
        return value

    def validate_consents(self, value: dict) -> dict:
        unknown = sorted(set(value) - set(Customer.CONSENT_CHANNELS))
        if unknown:
            raise serializers.ValidationError(
                f"Unknown channel(s) {', '.join(unknown)}; use {', '.join(Customer.CONSENT_CHANNELS)}.")
        return value

    @staticmethod
    def to_input(data: dict) -> CustomerInput:
        return CustomerInput(**data)


class ContentLinkSerializer(StrictSerializer):
    kind = serializers.ChoiceField(choices=["video", "guide", "how_to"])
    title = serializers.CharField(max_length=200)
    url = serializers.URLField(max_length=500)


class ProductTranslationSerializer(StrictSerializer):
    title = serializers.CharField(required=False, max_length=255)
    url = serializers.URLField(required=False, max_length=500)
    content_links = ContentLinkSerializer(many=True, required=False, max_length=20,
                                          help_text="Replaces the product's own in this locale.")


class ProductInputSerializer(StrictSerializer):
    external_id = serializers.CharField(max_length=100, help_text="Your id for this product.")
    title = serializers.CharField(max_length=255)
    price = serializers.DecimalField(**_money)
    currency = serializers.CharField(max_length=3, validators=[currency_code],
                                     help_text="ISO 4217, upper case, e.g. EUR.")
    sku = serializers.CharField(required=False, allow_blank=True, max_length=100)
    category = serializers.CharField(required=False, allow_blank=True, max_length=100)
    tags = serializers.ListField(child=serializers.CharField(max_length=100), required=False,
                                 max_length=50)
    url = serializers.URLField(required=False, allow_blank=True, max_length=500)
    image_url = serializers.URLField(required=False, allow_blank=True, max_length=500)
    in_stock = serializers.BooleanField(required=False, default=True)
    content_links = ContentLinkSerializer(many=True, required=False, max_length=20,
                                          help_text="Help shown after the purchase.")
    translations = serializers.DictField(
        child=ProductTranslationSerializer(), required=False,
        help_text='Locale ("de", "de-AT") → title, url and content_links in that language; '
                  "what is left out is the product's own.")

    def validate_translations(self, value: dict) -> dict:
        wrong = sorted(key for key in value if not LOCALE.match(key))
        if wrong:
            raise serializers.ValidationError(
                f"Unknown locale(s) {', '.join(wrong)}; use codes like \"de\" or \"de-AT\".")
        return value

    @staticmethod
    def to_input(data: dict) -> ProductInput:
        return ProductInput(**data)


class LineInputSerializer(StrictSerializer):
    title = serializers.CharField(max_length=255)
    quantity = serializers.IntegerField(min_value=1)
    unit_price = serializers.DecimalField(**_money)
    sku = serializers.CharField(required=False, allow_blank=True, max_length=100)
    product_external_id = serializers.CharField(
        required=False, allow_null=True, max_length=100,
        help_text="Links the line to a product pushed to /products/ (for recommendations).")


class ShippingAddressSerializer(StrictSerializer):
    name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    company = serializers.CharField(required=False, allow_blank=True, max_length=200)
    address1 = serializers.CharField(required=False, allow_blank=True, max_length=200)
    address2 = serializers.CharField(required=False, allow_blank=True, max_length=200)
    city = serializers.CharField(required=False, allow_blank=True, max_length=100)
    postcode = serializers.CharField(required=False, allow_blank=True, max_length=20)
    province = serializers.CharField(required=False, allow_blank=True, max_length=100)
    country_code = serializers.RegexField(COUNTRY_CODE, required=False, allow_blank=True,
                                          error_messages={"invalid": "Use a two-letter ISO 3166 "
                                                                     "code in upper case, e.g. DE."})
    phone = serializers.CharField(required=False, allow_blank=True, max_length=32)


class OrderInputSerializer(StrictSerializer):
    external_id = serializers.CharField(max_length=100, help_text="Your id for this order.")
    number = serializers.CharField(max_length=32, help_text='As the shopper sees it, e.g. "#1001".')
    placed_at = serializers.DateTimeField()
    currency = serializers.CharField(max_length=3, validators=[currency_code],
                                     help_text="ISO 4217, upper case, e.g. EUR.")
    lines = LineInputSerializer(many=True, allow_empty=False, max_length=MAX_LINES_PER_ORDER)
    customer = CustomerInputSerializer(required=False, allow_null=True,
                                       help_text="Created or updated with the order.")
    subtotal = serializers.DecimalField(**_money, required=False, allow_null=True,
                                        help_text="Derived from the lines when left out.")
    shipping = serializers.DecimalField(**_money, required=False)
    tax = serializers.DecimalField(**_money, required=False)
    total = serializers.DecimalField(**_money, required=False, allow_null=True,
                                     help_text="subtotal + shipping + tax when left out.")
    shipping_address = ShippingAddressSerializer(required=False)
    financial_status = serializers.ChoiceField(choices=Order.FinancialStatus.choices,
                                               required=False)
    fulfillment_status = serializers.ChoiceField(choices=Order.FulfillmentStatus.choices,
                                                 required=False)
    promised_delivery_date = serializers.DateField(required=False, allow_null=True)

    @staticmethod
    def to_input(data: dict) -> OrderInput:
        data = dict(data)
        customer = data.pop("customer", None)
        lines = [LineInput(**line) for line in data.pop("lines")]
        return OrderInput(**data, lines=lines, source=Order.Source.API,
                          customer=CustomerInput(**customer) if customer else None)


# --- list filters (query string) -------------------------------------------------------

class CreatedBetweenFilterSerializer(StrictSerializer):
    created_after = serializers.DateTimeField(required=False, help_text="Created at or after.")
    created_before = serializers.DateTimeField(required=False, help_text="Created before.")


class CustomerFilterSerializer(CreatedBetweenFilterSerializer):
    email = serializers.CharField(required=False, help_text="Exact, case-insensitive.")
    external_id = serializers.CharField(required=False)


class ProductFilterSerializer(CreatedBetweenFilterSerializer):
    sku = serializers.CharField(required=False)
    category = serializers.CharField(required=False)
    external_id = serializers.CharField(required=False)
    in_stock = serializers.BooleanField(required=False, allow_null=True, default=None)


class OrderFilterSerializer(CreatedBetweenFilterSerializer):
    number = serializers.CharField(required=False, help_text='The order number, e.g. "#1001".')
    external_id = serializers.CharField(required=False)
    customer_email = serializers.CharField(required=False, help_text="Exact, case-insensitive.")
    fulfillment_status = serializers.ChoiceField(choices=Order.FulfillmentStatus.choices,
                                                 required=False)
    financial_status = serializers.ChoiceField(choices=Order.FinancialStatus.choices,
                                               required=False)
    placed_after = serializers.DateTimeField(required=False, help_text="Placed at or after.")
    placed_before = serializers.DateTimeField(required=False, help_text="Placed before.")


# --- output ----------------------------------------------------------------------------

class ConsentStateSerializer(serializers.Serializer):
    given = serializers.BooleanField()
    at = serializers.DateTimeField(allow_null=True, help_text="When it was last given or withdrawn.")
    source = serializers.CharField(help_text="How: checkout, account, api, …")


class ConsentsSerializer(serializers.Serializer):
    transactional_email = ConsentStateSerializer()
    transactional_sms = ConsentStateSerializer()
    marketing_email = ConsentStateSerializer()
    marketing_sms = ConsentStateSerializer()


class CustomerSerializer(OutputModelSerializer):
    consents = serializers.SerializerMethodField()

    class Meta:
        model = Customer
        fields = ["id", "external_id", "email", "phone", "first_name", "last_name", "locale",
                  "timezone", "consents", "created_at", "updated_at"]
        read_only_fields = fields

    @extend_schema_field(ConsentsSerializer)
    def get_consents(self, customer: Customer) -> dict:
        return {channel: {"given": getattr(customer, f"{channel}_consent"),
                          "at": getattr(customer, f"{channel}_consent_at"),
                          "source": getattr(customer, f"{channel}_consent_source")}
                for channel in Customer.CONSENT_CHANNELS}


class ProductSerializer(OutputModelSerializer):
    class Meta:
        model = Product
        fields = ["id", "external_id", "sku", "title", "category", "tags", "url", "image_url",
                  "price", "currency", "in_stock", "content_links", "translations", "created_at",
                  "updated_at"]
        read_only_fields = fields


class ProductBatchResultSerializer(serializers.Serializer):
    created = serializers.IntegerField(help_text="Products that were new.")
    updated = serializers.IntegerField(help_text="Products that existed (now as sent).")


class LineItemSerializer(OutputModelSerializer):
    product_external_id = serializers.CharField(source="product.external_id", allow_null=True,
                                                default=None)

    class Meta:
        model = LineItem
        fields = ["position", "sku", "title", "quantity", "unit_price", "product_external_id"]
        read_only_fields = fields


class OrderEventSerializer(OutputModelSerializer):
    class Meta:
        model = OrderEvent
        fields = ["kind", "occurred_at", "actor", "summary", "data"]
        read_only_fields = fields


class OrderSerializer(OutputModelSerializer):
    customer = CustomerSerializer(allow_null=True)
    lines = LineItemSerializer(many=True)

    class Meta:
        model = Order
        fields = ["id", "external_id", "number", "placed_at", "currency", "subtotal", "shipping",
                  "tax", "total", "shipping_address", "source", "financial_status",
                  "fulfillment_status", "promised_delivery_date", "customer", "lines",
                  "created_at", "updated_at"]
        read_only_fields = fields


# --- the agent console's search ----------------------------------------------------------

class OrderSearchFilterSerializer(StrictSerializer):
    q = serializers.CharField(
        max_length=MAX_QUERY,
        help_text="An order number (with or without #), external id, customer e-mail, phone "
                  "(any common format), tracking number, return number or (part of) a "
                  "customer's name, accents and one-letter typos forgiven.")


class SearchCustomerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="full_name")
    email = serializers.CharField()
    phone = serializers.CharField()


class SearchFlagSerializer(serializers.Serializer):
    # DRF's serializer metaclass takes declared fields off the class, so this does not replace
    # Field.label (the stubs cannot know): narrow ignore.
    label = serializers.CharField(  # type: ignore[assignment]
        help_text='e.g. "DHL 00340434…: In transit", "Delayed".')
    problem = serializers.BooleanField(help_text="An open problem: delayed, exception, low "
                                                 "rating, return waiting.")


class OrderSearchResultSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="order.pk")
    number = serializers.CharField(source="order.number")
    external_id = serializers.CharField(source="order.external_id")
    placed_at = serializers.DateTimeField(source="order.placed_at")
    total = serializers.DecimalField(source="order.total", max_digits=MONEY["max_digits"],
                                     decimal_places=MONEY["decimal_places"])
    currency = serializers.CharField(source="order.currency")
    customer = SearchCustomerSerializer(source="order.customer", allow_null=True)
    matched = serializers.CharField(help_text='What matched: "Order number", "Customer name", …')
    rank = serializers.FloatField(help_text="1.0 an exact match; below, a name's likeness.")
    flags = SearchFlagSerializer(many=True, help_text="Each parcel's status, then open problems.")
    dashboard_url = serializers.CharField(help_text="The order's page in the Doorstep dashboard.")


class OrderSearchResponseSerializer(serializers.Serializer):
    results = OrderSearchResultSerializer(many=True, help_text="Best match first, at most 20.")
