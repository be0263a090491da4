"""Operator views of orders data. The admin is for us (staff), not for retailers: its lists
read across tenants on purpose (each names the tenant and can filter by it), while the page
of one row runs inside that row's tenant scope, so every related picker, inline and check
on it sees that tenant only and a link to another tenant's row is refused.
"""

from django.contrib import admin
from django.contrib.admin.utils import unquote

from tenants.context import no_tenant, tenant_scope

from .models import Customer, LineItem, Order, Product

REASON = "operator admin lists rows of every tenant"


class CrossTenantAdmin(admin.ModelAdmin):
    list_select_related = ["tenant"]
    raw_id_fields = ["tenant"]

    def get_queryset(self, request):
        return self.model.objects.unscoped(reason=REASON).select_related("tenant")

    def get_readonly_fields(self, request, obj=None):
        # A row never moves to another tenant once it exists.
        return ["tenant", *self.readonly_fields] if obj else list(self.readonly_fields)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return super().change_view(request, object_id, form_url, extra_context)
        with no_tenant(), tenant_scope(obj.tenant):  # the row's tenant, not the staff member's
            response = super().change_view(request, object_id, form_url, extra_context)
            # Render now: a lazy template response would query after the scope has ended.
            if hasattr(response, "render"):
                response.render()
        return response


@admin.register(Customer)
class CustomerAdmin(CrossTenantAdmin):
    list_display = ["external_id", "email", "phone", "first_name", "last_name", "tenant"]
    list_filter = ["tenant", "locale", "marketing_email_consent", "transactional_sms_consent"]
    search_fields = ["external_id", "email", "phone", "last_name"]


@admin.register(Product)
class ProductAdmin(CrossTenantAdmin):
    list_display = ["sku", "title", "category", "price", "currency", "in_stock", "tenant"]
    list_filter = ["tenant", "category", "in_stock"]
    search_fields = ["external_id", "sku", "title"]


class LineItemInline(admin.TabularInline):
    model = LineItem
    fields = ["position", "product", "sku", "title", "quantity", "unit_price"]
    readonly_fields = fields  # lines come with their order; totals must stay consistent
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Order)
class OrderAdmin(CrossTenantAdmin):
    list_display = ["number", "placed_at", "customer", "total", "currency", "financial_status",
                    "fulfillment_status", "source", "tenant"]
    list_select_related = ["tenant", "customer"]
    list_filter = ["tenant", "financial_status", "fulfillment_status", "source"]
    search_fields = ["number", "external_id", "customer__email"]
    date_hierarchy = "placed_at"
    raw_id_fields = ["tenant", "customer"]
    inlines = [LineItemInline]

    def has_add_permission(self, request) -> bool:
        return False  # orders arrive through the API, Shopify and imports
