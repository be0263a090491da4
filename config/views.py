"""Site-wide error pages: JSON in the API's shape under /api/, HTML elsewhere."""

from django.shortcuts import render

from config.api.errors import json_not_found, json_server_error


def not_found(request, exception=None):
    if request.path.startswith("/api/"):
        return json_not_found(request, exception)
    return render(request, "errors/404.html", status=404)


def server_error(request):
    if request.path.startswith("/api/"):
        return json_server_error(request)
    return render(request, "errors/500.html", status=500)
