"""The overview page, switching between stores, and creating one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from config.errors import ApplicationError

from .. import services
from ..context import no_tenant
from ..forms import StoreCreateForm
from ..middleware import SESSION_KEY
from ..models import ApiKey, Brand, Credential, Invitation, Membership, Tenant
from ..permissions import Perm
from .base import add_error_to_form, dashboard_view


def _setup_progress(tenant: Tenant, user) -> Tenant:
    """The tenant with one flag per getting-started step, in a single query."""

    def of_tenant(model, *conditions, **filters):
        return Exists(model.objects.unscoped(reason="checklist flags of the tenant in the row")
                      .filter(*conditions, tenant=OuterRef("pk"), **filters))

    return Tenant.objects.annotate(
        has_integration=of_tenant(Credential),
        has_api_key=of_tenant(ApiKey, revoked_at=None),
        has_colleague=of_tenant(Membership, ~Q(user=user)),
        has_invitation=of_tenant(Invitation, accepted_at=None, revoked_at=None,
                                 expires_at__gt=timezone.now()),
    ).get(pk=tenant.pk)


def _brand_is_set(brand: Brand) -> bool:
    defaults = {f.name: f.default for f in Brand._meta.fields if f.name.endswith("_color")}
    return bool(brand.logo or brand.sender_email) or any(
        getattr(brand, name) != value for name, value in defaults.items())


@dashboard_view(Perm.DASHBOARD_VIEW)
def overview(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant
    flags = _setup_progress(tenant, request.user)
    brand = services.brand_get(tenant)
    steps = [
        {"done": _brand_is_set(brand), "title": "Make it yours",
         "text": "Add your logo, colours and sender address so every message looks like you.",
         "url": "dashboard:settings-brand", "action": "Set up your brand",
         "perm": Perm.BRAND_VIEW},
        {"done": flags.has_integration, "title": "Connect your store and carriers",
         "text": "Connect Shopify, your carriers' tracking webhooks, SendGrid and Twilio.",
         "url": "dashboard:settings-integrations", "action": "Connect integrations",
         "perm": Perm.CREDENTIALS_VIEW},
        {"done": flags.has_api_key, "title": "Create an API key",
         "text": "Let your own systems push orders and shipments to Doorstep.",
         "url": "dashboard:settings-api-keys", "action": "Create a key",
         "perm": Perm.API_KEYS_MANAGE},
        {"done": flags.has_colleague or flags.has_invitation, "title": "Invite your team",
         "text": "Support agents, marketers and admins each get the access their job needs.",
         "url": "dashboard:settings-members", "action": "Invite members",
         "perm": Perm.MEMBERS_VIEW},
    ]
    done = sum(step["done"] for step in steps)
    return render(request, "dashboard/overview.html", {
        "steps": steps, "done_count": done, "step_count": len(steps), "brand": brand,
        "nav_active": "overview",
    })


@require_POST
@dashboard_view(Perm.DASHBOARD_VIEW)
def switch_tenant(request: HttpRequest) -> HttpResponse:
    """Only a store the user belongs to can be chosen; any other id looks like a missing one."""
    wanted = request.POST.get("tenant", "")
    chosen = next((m for m in request.memberships if str(m.tenant_id) == wanted), None)
    if chosen is None:
        raise Http404("not one of your stores")
    request.session[SESSION_KEY] = chosen.tenant_id
    messages.success(request, f"You are now working in {chosen.tenant.name}.")
    return redirect("dashboard:home")


@login_required
def store_create(request: HttpRequest) -> HttpResponse:
    """Not a tenant page (it makes the tenant), so it needs a login but no membership."""
    form = StoreCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with no_tenant():  # a new store: not the one the member is working in
                tenant = services.tenant_create(name=form.cleaned_data["name"],
                                                owner=request.user)
        except ApplicationError as exc:
            add_error_to_form(form, exc)
        else:
            request.session[SESSION_KEY] = tenant.pk
            messages.success(request, f"{tenant.name} is ready. Welcome!")
            return redirect("dashboard:home")
    template = "dashboard/store_create.html" if request.membership else "dashboard/no_store.html"
    return render(request, template, {"form": form})
