"""The app's URLs plus the baselines: the whole middleware stack, no database, no work.

    /bench/noop        GET, answers "ok"
    /bench/noop-post   POST (CSRF-exempt, like the webhooks), reads the body, answers 202
"""

from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from config.urls import urlpatterns as app_urlpatterns


def noop(request):
    return HttpResponse(b"ok", content_type="text/plain")


@csrf_exempt
def noop_post(request):
    request.read()
    return HttpResponse(b"ok", status=202, content_type="text/plain")


urlpatterns = [path("bench/noop", noop), path("bench/noop-post", noop_post), *app_urlpatterns]
