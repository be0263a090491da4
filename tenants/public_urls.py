"""Public pages outside the dashboard namespace (their names are part of other code's
contract: `services.invitation_url` reverses `invitation_accept`)."""

from django.urls import path

from .views import invitations

urlpatterns = [
    path("invitations/<str:token>/", invitations.invitation_accept, name="invitation_accept"),
]
