"""Customers, products and orders: POST creates or updates by your `external_id` (201 when
created, 200 when it existed), GET lists with filters and cursor pagination, or shows one.

The order detail (with shipments) is composed in tracking's API: shipments live a layer above
orders, and orders never import from above.
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
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
from tenants.selectors import absolute_url

from .. import selectors, services
from .serializers import (
    MAX_PRODUCTS_PER_REQUEST,
    CustomerFilterSerializer,
    CustomerInputSerializer,
    CustomerSerializer,
    OrderFilterSerializer,
    OrderInputSerializer,
    OrderSearchFilterSerializer,
    OrderSearchResponseSerializer,
    OrderSerializer,
    ProductBatchResultSerializer,
    ProductFilterSerializer,
    ProductInputSerializer,
    ProductSerializer,
)


def _created_or_updated(created: bool) -> int:
    return status.HTTP_201_CREATED if created else status.HTTP_200_OK


class CustomerListApi(TenantApiView):
    required_perms = {"GET": Perm.ORDERS_VIEW, "POST": Perm.ORDERS_MANAGE}

    @extend_schema(
        operation_id="customers_list",
        parameters=[CustomerFilterSerializer, *PAGINATION_PARAMETERS],
        responses=paginated_schema(CustomerSerializer, "PaginatedCustomerList"),
        summary="List customers, newest first")
    def get(self, request):
        customers = selectors.customer_list(self.tenant,
                                            **query_filters(request, CustomerFilterSerializer))
        return paginated_response(request, self, customers, CustomerSerializer)

    @extend_schema(
        request=CustomerInputSerializer,
        responses={201: CustomerSerializer, 200: CustomerSerializer},
        summary="Create or update a customer by external_id",
        description="Fields left out (or blank) keep their stored value; consent that changes "
                    "records when and how (`consent_source`).",
        examples=[OpenApiExample("A shopper", request_only=True, value={
            "external_id": "cus_881", "email": "sam@example.com", "phone": "+4915112345678",
            "first_name": "Sam", "locale": "de", "consents": {"transactional_sms": True}})],
    )
    def post(self, request):
        data = validated(CustomerInputSerializer(data=request.data))
        customer, created = services.customer_upsert(
            self.tenant, CustomerInputSerializer.to_input(data), actor=api_actor(request))
        return Response(CustomerSerializer(customer).data, status=_created_or_updated(created))


class CustomerDetailApi(TenantApiView):
    required_perms = {"GET": Perm.ORDERS_VIEW}

    @extend_schema(responses=CustomerSerializer, summary="One customer")
    def get(self, request, customer_id: int):
        return Response(CustomerSerializer(selectors.customer_get(self.tenant, customer_id)).data)


class ProductListApi(TenantApiView):
    required_perms = {"GET": Perm.ORDERS_VIEW, "POST": Perm.ORDERS_MANAGE}

    @extend_schema(
        operation_id="products_list",
        parameters=[ProductFilterSerializer, *PAGINATION_PARAMETERS],
        responses=paginated_schema(ProductSerializer, "PaginatedProductList"),
        summary="List products, newest first")
    def get(self, request):
        products = selectors.product_list(self.tenant,
                                          **query_filters(request, ProductFilterSerializer))
        return paginated_response(request, self, products, ProductSerializer)

    @extend_schema(
        request=PolymorphicProxySerializer(
            "ProductInputOneOrMany", resource_type_field_name=None, many=False,
            serializers=[ProductInputSerializer, ProductInputSerializer(many=True)]),
        responses={
            201: PolymorphicProxySerializer(
                "ProductCreated", resource_type_field_name=None,
                serializers=[ProductSerializer, ProductBatchResultSerializer]),
            200: PolymorphicProxySerializer(
                "ProductUpdated", resource_type_field_name=None,
                serializers=[ProductSerializer, ProductBatchResultSerializer]),
        },
        summary=f"Create or update products: one object, or an array of up to "
                f"{MAX_PRODUCTS_PER_REQUEST:,}",
        description="An array is written in one statement and answered with counts "
                    "(`created`, `updated`); "
                    "errors name the item and field, e.g. `[3].price`. If any item is invalid, "
                    "nothing is written.",
        examples=[OpenApiExample("A batch", request_only=True, value=[
            {"external_id": "p-tent-2", "sku": "TENT-2P", "title": "Trail tent, 2 person",
             "price": "199.00", "currency": "EUR", "category": "tents", "tags": ["tent"]},
            {"external_id": "p-pegs", "sku": "PEG-10", "title": "Alloy pegs (10)",
             "price": "12.50", "currency": "EUR", "category": "accessories"}])],
    )
    def post(self, request):
        if isinstance(request.data, list):
            return self._post_many(request.data)
        data = validated(ProductInputSerializer(data=request.data))
        result = services.product_upsert_many(self.tenant, [ProductInputSerializer.to_input(data)])
        product = selectors.product_list(self.tenant, external_id=data["external_id"]).get()
        return Response(ProductSerializer(product).data,
                        status=_created_or_updated(result.created > 0))

    def _post_many(self, items: list) -> Response:
        if not items:
            raise ValidationFailed("Send at least one product.",
                                   details={"non_field_errors": ["The array is empty."]})
        if len(items) > MAX_PRODUCTS_PER_REQUEST:
            # Refused before validating: 1,001 items is a client bug, not 1,001 problems.
            raise ValidationFailed(
                f"Send at most {MAX_PRODUCTS_PER_REQUEST:,} products per request.",
                details={"non_field_errors": [f"{len(items):,} products sent; the limit is "
                                              f"{MAX_PRODUCTS_PER_REQUEST:,} per request."]})
        data = validated(ProductInputSerializer(data=items, many=True))
        result = services.product_upsert_many(
            self.tenant, [ProductInputSerializer.to_input(item) for item in data])
        body = ProductBatchResultSerializer({"created": result.created, "updated": result.updated})
        return Response(body.data, status=_created_or_updated(result.created > 0))


class ProductDetailApi(TenantApiView):
    required_perms = {"GET": Perm.ORDERS_VIEW}

    @extend_schema(responses=ProductSerializer, summary="One product")
    def get(self, request, product_id: int):
        return Response(ProductSerializer(selectors.product_get(self.tenant, product_id)).data)


class OrderListApi(TenantApiView):
    required_perms = {"GET": Perm.ORDERS_VIEW, "POST": Perm.ORDERS_MANAGE}

    @extend_schema(
        operation_id="orders_list",
        parameters=[OrderFilterSerializer, *PAGINATION_PARAMETERS],
        responses=paginated_schema(OrderSerializer, "PaginatedOrderList"),
        summary="List orders with their customer and lines, newest first")
    def get(self, request):
        orders = selectors.order_list(self.tenant, **query_filters(request, OrderFilterSerializer))
        return paginated_response(request, self, orders, OrderSerializer)

    @extend_schema(
        request=OrderInputSerializer,
        responses={201: OrderSerializer, 200: OrderSerializer,
                   409: OpenApiResponse(description="`conflict`: the number belongs to another "
                                                    "order.")},
        summary="Create or update an order (with its lines and customer) by external_id",
        description="Send the whole order each time: the lines sent replace the stored ones, and "
                    "optional fields left out take their defaults. A new order is confirmed "
                    "(`order_confirmed`) once; a change is recorded on the order's timeline. "
                    "Errors name the field by its path, e.g. `lines[1].quantity`, "
                    "`customer.phone`. 409 `conflict` when the number belongs to another order.",
        examples=[OpenApiExample("An order", request_only=True, value={
            "external_id": "ord_5521", "number": "#1001", "placed_at": "2026-11-20T09:12:00Z",
            "currency": "EUR", "shipping": "4.90",
            "customer": {"external_id": "cus_881", "email": "sam@example.com", "first_name": "Sam"},
            "lines": [{"title": "Trail tent, 2 person", "sku": "TENT-2P", "quantity": 1,
                       "unit_price": "199.00", "product_external_id": "p-tent-2"}],
            "shipping_address": {"name": "Sam Doe", "address1": "Hauptstr. 1", "city": "Köln",
                                 "postcode": "50667", "country_code": "DE"}})],
    )
    def post(self, request):
        data = validated(OrderInputSerializer(data=request.data))
        order, created = services.order_upsert(self.tenant, OrderInputSerializer.to_input(data),
                                               actor=api_actor(request))
        order = selectors.order_list(self.tenant).get(pk=order.pk)  # with customer and lines
        return Response(OrderSerializer(order).data, status=_created_or_updated(created))


class OrderSearchApi(TenantApiView):
    """The agent console's search box as an endpoint, for a helpdesk's sidebar app (Zendesk,
    Gorgias, Freshdesk) that shows the order next to the ticket."""

    required_perms = {"GET": Perm.ORDERS_VIEW}

    @extend_schema(
        operation_id="orders_search",
        parameters=[OrderSearchFilterSerializer],
        responses=OrderSearchResponseSerializer,
        summary="Find orders by number, e-mail, phone, tracking number, return number or name",
        description="Best match first (exact matches, then names by likeness, then newest), at "
                    "most 20. A phone matches in any common format (`+49 151 …`, `0049…`, "
                    "`0151/…`, `(415) 555-0100`); a name matches in part, without accents or "
                    "case, and with a one-letter typo. 400 `validation_error` when `q` is "
                    "missing, blank or longer than 200 characters.")
    def get(self, request):
        text = query_filters(request, OrderSearchFilterSerializer)["q"]
        results = selectors.order_search(self.tenant, text)
        for result in results:
            result.dashboard_url = absolute_url(reverse("orders:detail", args=[result.order.pk]))
        return Response(OrderSearchResponseSerializer({"results": results}).data)
