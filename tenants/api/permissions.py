"""API permissions consult the one matrix (`tenants.permissions`).

A view states what each method needs: `required_perms = {"GET": Perm.X, "PUT": Perm.Y}`.
A view that states nothing for a method refuses it: permissions fail closed too.
"""

from __future__ import annotations

from rest_framework import permissions

from tenants.permissions import scope_has

from .authentication import ApiPrincipal


class HasTenantPermission(permissions.BasePermission):
    message = "This API key's scope does not allow this request."

    def has_permission(self, request, view) -> bool:
        principal = request.user
        if request.method.lower() not in view.http_method_names or not hasattr(
                view, request.method.lower()):
            return True  # no handler: let the view answer 405, which reveals nothing
        if not isinstance(principal, ApiPrincipal):
            return False
        required = getattr(view, "required_perms", {}).get(request.method)
        if required is None and request.method in ("HEAD", "OPTIONS"):
            required = getattr(view, "required_perms", {}).get("GET")
        return required is not None and scope_has(principal.scope, required)
