from http import HTTPStatus

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django.views.static import serve


@require_safe
@never_cache
def health(request: HttpRequest) -> JsonResponse:
    """For load balancers: 200 when the database answers, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # noqa: BLE001 - any database failure means "not healthy"
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok"})


@require_safe
def media(request: HttpRequest, path: str) -> HttpResponseBase:
    """Uploaded images and renditions for single-machine sites. Rendition names change when
    the image does, so they may be cached for long."""
    response = serve(request, path, document_root=str(settings.MEDIA_ROOT))
    response["Cache-Control"] = "public, max-age=86400"
    return response


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 400 page, except for a body larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (a
    form post with an enormous comment): a 413 a reader understands. (The connection is the
    server's to close: WSGI gives an application no say over hop-by-hop headers.)"""
    if isinstance(exception, RequestDataTooBig):
        return render(request, "413.html", status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
    return defaults.bad_request(request, exception)
