"""django-allauth hooks: sign-up creates a store (tenant) with the new user as owner, unless
the visitor came through an invitation, in which case they join the inviting store."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.db import transaction

from . import services
from .context import tenant_scope

INVITATION_SESSION_KEY = "doorstep_invitation_token"


def pending_invitation(request):
    token = request.session.get(INVITATION_SESSION_KEY) if request else None
    return services.invitation_get_by_token(token) if token else None


class AccountAdapter(DefaultAccountAdapter):
    def get_login_redirect_url(self, request):
        # Someone who arrived through an invitation goes back to accept it after logging in.
        invitation_token = request.session.get(INVITATION_SESSION_KEY)
        if invitation_token and pending_invitation(request):
            from django.urls import reverse

            return reverse("invitation_accept", args=[invitation_token])
        return super().get_login_redirect_url(request)


class SignupForm(AllauthSignupForm):
    store_name = forms.CharField(
        label="Store name", max_length=120, required=False,
        help_text="Your shop's name as shoppers know it. You can change it later.",
        widget=forms.TextInput(attrs={"autocomplete": "organization", "placeholder": "Acme Outdoor"}),
    )

    field_order = ["store_name", "email", "password1", "password2"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from allauth.core import context

        self.invitation = pending_invitation(context.request)
        if self.invitation is not None:
            # Joining an existing store: no store name, and the address is the invited one.
            del self.fields["store_name"]
            self.fields["email"].initial = self.invitation.email

    def clean_store_name(self):
        name = self.cleaned_data.get("store_name", "").strip()
        if self.invitation is None and not name:
            raise forms.ValidationError("Give your store a name.")
        return name

    def clean(self):
        cleaned = super().clean()
        email = (cleaned.get("email") or "").lower()
        if self.invitation is not None and email and email != self.invitation.email.lower():
            # The form has no store name when joining, so another address has nothing to do.
            self.add_error("email", f"This invitation is for {self.invitation.email}: sign up "
                                    "with that address, or ask for an invitation to this one.")
        return cleaned

    def save(self, request):
        with transaction.atomic():
            user = super().save(request)
            if self.invitation is not None and user.email.lower() == self.invitation.email:
                with tenant_scope(self.invitation.tenant):  # the token's store (an edge)
                    services.invitation_accept(self.invitation, user)
                request.session.pop(INVITATION_SESSION_KEY, None)
            else:
                # The slug is derived and made unique, so creation cannot collide here.
                services.tenant_create(name=self.cleaned_data["store_name"], owner=user)
        return user
