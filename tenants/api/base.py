from __future__ import annotations

from rest_framework.views import APIView

from tenants.models import Tenant


class TenantApiView(APIView):
    """Base for every tenant API endpoint: the tenant comes from the API key (already in scope
    when the handler runs) and each method states the `Perm` it needs in `required_perms`."""

    required_perms: dict = {}

    @property
    def tenant(self) -> Tenant:
        return self.request.user.tenant
