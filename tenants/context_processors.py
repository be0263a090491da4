from .permissions import ROLE_PERMISSIONS


def dashboard(request) -> dict:
    membership = getattr(request, "membership", None)
    perms = ROLE_PERMISSIONS.get(membership.role, frozenset()) if membership else frozenset()
    return {
        "tenant": getattr(request, "tenant", None),
        "membership": membership,
        "memberships": getattr(request, "memberships", []),
        # Templates ask `"brand.manage" in perms` to show or hide what a role cannot use.
        "perms": {str(p) for p in perms},
    }
