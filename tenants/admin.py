"""The operator's admin (staff only). Tenant-owned rows are listed across tenants, so every
queryset here leaves the scope explicitly; secrets and hashes are never displayed."""

from django.contrib import admin

from .context import no_tenant, tenant_scope
from .models import ApiKey, Brand, Credential, Invitation, Membership, Tenant


class ScopedModelAdmin(admin.ModelAdmin):
    list_select_related = ("tenant",)

    def get_queryset(self, request):
        return self.model.objects.unscoped(reason="operator admin across tenants").select_related(
            "tenant")

    def save_model(self, request, obj, form, change):
        with no_tenant(), tenant_scope(obj.tenant):
            super().save_model(request, obj, form, change)

    def has_add_permission(self, request):
        return False  # rows are created through the product, where the tenant scope applies


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "status", "require_two_factor", "created_at")
    list_filter = ("status",)
    search_fields = ("name", "slug")


@admin.register(Membership)
class MembershipAdmin(ScopedModelAdmin):
    list_display = ("user", "tenant", "role", "created_at")
    list_filter = ("role",)
    search_fields = ("user__email", "tenant__slug")
    readonly_fields = ("tenant", "user")


@admin.register(Invitation)
class InvitationAdmin(ScopedModelAdmin):
    list_display = ("email", "tenant", "role", "created_at", "expires_at", "accepted_at", "revoked_at")
    search_fields = ("email", "tenant__slug")
    exclude = ("token_hash",)
    readonly_fields = ("tenant", "email", "role", "invited_by", "accepted_by", "accepted_at")


@admin.register(Brand)
class BrandAdmin(ScopedModelAdmin):
    list_display = ("tenant", "sender_name", "custom_tracking_domain", "updated_at")
    readonly_fields = ("tenant",)


@admin.register(ApiKey)
class ApiKeyAdmin(ScopedModelAdmin):
    list_display = ("name", "prefix", "tenant", "scope", "last_used_at", "revoked_at")
    exclude = ("key_hash",)
    readonly_fields = ("tenant", "prefix", "created_by", "last_used_at")


@admin.register(Credential)
class CredentialAdmin(ScopedModelAdmin):
    list_display = ("name", "tenant", "updated_at")
    exclude = ("ciphertext",)
    readonly_fields = ("tenant", "name", "updated_by")
