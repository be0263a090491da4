"""The dashboard (namespace `dashboard`). Public, non-namespaced pages are in public_urls."""

from django.urls import path

from .views import api_keys, audit, brand, home, integrations, members, settings_general

app_name = "dashboard"
urlpatterns = [
    path("", home.overview, name="home"),
    path("switch/", home.switch_tenant, name="switch-tenant"),
    path("stores/new/", home.store_create, name="store-create"),
    path("settings/", settings_general.general, name="settings-general"),
    path("settings/brand/", brand.brand_settings, name="settings-brand"),
    path("settings/members/", members.members, name="settings-members"),
    path("settings/members/invite/", members.member_invite, name="member-invite"),
    path("settings/members/<int:membership_id>/role/", members.member_role, name="member-role"),
    path("settings/members/<int:membership_id>/remove/", members.member_remove,
         name="member-remove"),
    path("settings/invitations/<int:invitation_id>/revoke/", members.invitation_revoke,
         name="invitation-revoke"),
    path("settings/api-keys/", api_keys.api_keys, name="settings-api-keys"),
    path("settings/api-keys/<int:key_id>/revoke/", api_keys.api_key_revoke,
         name="api-key-revoke"),
    path("settings/audit-log/", audit.audit_log, name="settings-audit"),
    path("settings/integrations/", integrations.integrations, name="settings-integrations"),
    path("settings/integrations/<slug:provider>/", integrations.integration_set,
         name="integration-set"),
    path("settings/integrations/<slug:provider>/remove/", integrations.integration_remove,
         name="integration-remove"),
]
