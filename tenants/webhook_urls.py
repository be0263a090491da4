"""Every webhook URL, from the registry of sources (tenants/inbound.py): each app declares its
sources in its AppConfig.ready(), which runs before any URLconf is imported. The catch-all for
unknown sources comes last, so every real source is matched first."""

from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .inbound import SOURCES, inbound_edge, unknown_source_edge

edge = csrf_exempt(require_POST(inbound_edge))

urlpatterns = [
    path(source.url_path, edge, {"key": source.key}, name=f"webhook-{source.key}")
    for source in SOURCES.values() if source.url_path
] + [
    path("webhooks/<str:source>/<slug:tenant_slug>/", csrf_exempt(require_POST(unknown_source_edge)),
         name="webhook-unknown-source"),
]
