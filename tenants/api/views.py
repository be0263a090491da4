from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from config.errors import NotFound
from tenants import credentials as creds
from tenants import services
from tenants.models import Credential
from tenants.permissions import Perm

from .base import TenantApiView
from .serializers import (
    BrandSerializer,
    CredentialInputSerializer,
    CredentialSerializer,
    TenantSerializer,
)


class TenantDetailApi(TenantApiView):
    required_perms = {"GET": Perm.TENANT_VIEW}

    @extend_schema(responses=TenantSerializer, summary="The tenant this API key belongs to")
    def get(self, request):
        return Response(TenantSerializer(self.tenant).data)


class BrandDetailApi(TenantApiView):
    required_perms = {"GET": Perm.BRAND_VIEW, "PATCH": Perm.BRAND_MANAGE}

    @extend_schema(responses=BrandSerializer, summary="The brand shoppers see")
    def get(self, request):
        brand = services.brand_get(self.tenant)
        return Response(BrandSerializer(brand, context={"request": request}).data)

    @extend_schema(request=BrandSerializer, responses=BrandSerializer,
                   summary="Change some brand fields (the logo is uploaded in the dashboard)")
    def patch(self, request):
        brand = services.brand_get(self.tenant)
        serializer = BrandSerializer(brand, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        brand = services.brand_update(self.tenant, **serializer.validated_data)
        return Response(BrandSerializer(brand, context={"request": request}).data)


def _credential_body(name: str, row: Credential | None) -> dict:
    fields = creds.decrypt_fields(row.ciphertext) if row else {}
    return {
        "name": name,
        "configured": row is not None,
        "updated_at": row.updated_at if row else None,
        "fields": creds.credential_public_view(name, fields),
    }


NAME_PARAMETER = OpenApiParameter("name", str, OpenApiParameter.PATH,
                                  enum=sorted(creds.CREDENTIAL_SPECS),
                                  description="The provider whose credentials these are.")


class CredentialListApi(TenantApiView):
    required_perms = {"GET": Perm.CREDENTIALS_VIEW}

    @extend_schema(responses=CredentialSerializer(many=True),
                   summary="Every provider, with which of its fields are set (masked)")
    def get(self, request):
        rows = {row.name: row for row in Credential.objects.all()}
        return Response([_credential_body(name, rows.get(name)) for name in creds.CREDENTIAL_SPECS])


class CredentialDetailApi(TenantApiView):
    required_perms = {"GET": Perm.CREDENTIALS_VIEW, "PUT": Perm.CREDENTIALS_MANAGE,
                      "PATCH": Perm.CREDENTIALS_MANAGE, "DELETE": Perm.CREDENTIALS_MANAGE}

    def _check_name(self, name: str) -> None:
        if name not in creds.CREDENTIAL_SPECS:
            raise NotFound(f"No credential named {name!r}; use one of "
                           f"{', '.join(creds.CREDENTIAL_SPECS)}.")

    def _row(self, name: str) -> Credential | None:
        return Credential.objects.filter(name=name).first()

    @extend_schema(parameters=[NAME_PARAMETER], responses=CredentialSerializer,
                   summary="Which fields of a provider's credentials are set (masked)")
    def get(self, request, name: str):
        self._check_name(name)
        row = self._row(name)
        if row is None:
            raise NotFound(f"No {name} credentials are set.")
        return Response(_credential_body(name, row))

    @extend_schema(parameters=[NAME_PARAMETER], request=CredentialInputSerializer,
                   responses=CredentialSerializer,
                   summary="Set a provider's credentials (replaces every field)")
    def put(self, request, name: str):
        self._check_name(name)
        services.credential_set(self.tenant, name, request.data, actor=None)
        return Response(_credential_body(name, self._row(name)))

    @extend_schema(parameters=[NAME_PARAMETER], request=CredentialInputSerializer,
                   responses=CredentialSerializer,
                   summary="Change some fields of a provider's credentials")
    def patch(self, request, name: str):
        self._check_name(name)
        if self._row(name) is None:
            raise NotFound(f"No {name} credentials are set; PUT them first.")
        services.credential_set(self.tenant, name, request.data, merge=True, actor=None)
        return Response(_credential_body(name, self._row(name)))

    @extend_schema(parameters=[NAME_PARAMETER], responses={204: None},
                   summary="Remove a provider's credentials")
    def delete(self, request, name: str):
        self._check_name(name)
        if not services.credential_delete(self.tenant, name):
            raise NotFound(f"No {name} credentials are set.")
        return Response(status=status.HTTP_204_NO_CONTENT)
