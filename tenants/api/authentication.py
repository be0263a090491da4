"""`Authorization: Bearer <api key>` authentication: the key names the tenant."""

from __future__ import annotations

from dataclasses import dataclass

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from tenants.context import activate_tenant
from tenants.models import ApiKey, Tenant
from tenants.services import API_KEY_PREFIX, api_key_authenticate


@dataclass(frozen=True)
class ApiPrincipal:
    """`request.user` for API calls: the retailer's system acting through one key."""

    tenant: Tenant
    key: ApiKey

    is_authenticated = True
    is_anonymous = False

    @property
    def scope(self) -> str:
        return self.key.scope

    def __str__(self) -> str:
        return f"api-key:{self.key.prefix}"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        parts = header.split()
        if len(parts) != 2 or parts[0].lower() != self.keyword.lower():
            raise exceptions.AuthenticationFailed(
                "Malformed Authorization header; send 'Authorization: Bearer <api key>'.")
        raw = parts[1]
        if not raw.startswith(API_KEY_PREFIX) or len(raw) > 200:
            raise exceptions.AuthenticationFailed("That is not a Doorstep API key.")
        key = api_key_authenticate(raw)
        if key is None:
            raise exceptions.AuthenticationFailed("Unknown or revoked API key.")
        activate_tenant(key.tenant)
        return ApiPrincipal(tenant=key.tenant, key=key), key

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "tenants.api.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key from Settings → API keys, e.g. `Authorization: Bearer dsk_…`.",
        }
