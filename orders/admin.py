"""Operator views of orders data. The admin is for us (staff), not for retailers, so it
reads across tenants on purpose: each list names the tenant and can filter by it."""

from django.contrib import admin

from .models import Customer, LineItem, Order, Product


class CrossTenantAdmin(admin.ModelAdmin):
    list_select_related = ["tenant"]

    def get_queryset(self, request):
        return self.model.objects.unscoped(reason="operator admin across tenants").select_related(
            "tenant")


@admin.register(Customer)
class CustomerAdmin(CrossTenantAdmin):
    list_display = ["external_id", "email", "phone", "first_name", "last_name", "tenant"]
    list_filter = ["tenant", "locale", "marketing_email_consent", "transactional_sms_consent"]
    search_fields = ["external_id", "email", "phone", "last_name"]
    raw_id_fields = ["tenant"]


@admin.register(Product)
class ProductAdmin(CrossTenantAdmin):
    list_display = ["sku", "title", "category", "price", "currency", "in_stock", "tenant"]
    list_filter = ["tenant", "category", "in_stock"]
    search_fields = ["external_id", "sku", "title"]
    raw_id_fields = ["tenant"]


class LineItemInline(admin.TabularInline):
    model = LineItem
    extra = 0
    raw_id_fields = ["product", "tenant"]

    def get_queryset(self, request):
        return LineItem.objects.unscoped(reason="lines of an order shown in the operator admin")


@admin.register(Order)
class OrderAdmin(CrossTenantAdmin):
    list_display = ["number", "placed_at", "customer", "total", "currency", "financial_status",
                    "fulfillment_status", "source", "tenant"]
    list_filter = ["tenant", "financial_status", "fulfillment_status", "source"]
    search_fields = ["number", "external_id", "customer__email"]
    date_hierarchy = "placed_at"
    raw_id_fields = ["tenant", "customer"]
    inlines = [LineItemInline]
