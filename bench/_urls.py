"""The app's URLs plus `/bench/noop`: the whole middleware stack, no database, no work."""

from django.http import HttpResponse
from django.urls import path

from config.urls import urlpatterns as app_urlpatterns


def noop(request):
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("bench/noop", noop), *app_urlpatterns]
