"""A 503 page in the site's look while the database is unreachable, and recovery without a restart.

Django turns an exception into a 500 response at every middleware layer, so two paths lead here:
errors raised by a view or its template reach ``process_exception``; errors raised in middleware
further in (the redirect fallback looks up its table on every 404) are noted on the request by a
``got_request_exception`` receiver, and their 500 is replaced on the way out.

Recovery needs nothing: Django closes a connection that failed at the end of the request, and the
next request opens a new one (CONN_HEALTH_CHECKS also drops persistent connections that died).
"""
import logging
import sys

from django.conf import settings
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers

log = logging.getLogger(__name__)

DATABASE_DOWN = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30
PLAIN_PAGE = (
    "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Back soon</title></head>"
    "<body><h1>Back soon</h1><p>This page is taking a short break. Please try again in a minute.</p></body></html>"
)


def service_unavailable() -> HttpResponse:
    """The 503 page: rendered without the request, so no context processor can need the database."""
    try:
        html = render_to_string("503.html", {"SITE_NAME": settings.SITE_NAME, "SITE_URL": settings.SITE_URL})
    except Exception:  # noqa: BLE001 — a tag in the base template may itself need the database
        log.exception("the 503 template failed; sending the plain page")
        html = PLAIN_PAGE
    response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 500 and getattr(request, "database_unavailable", False):
            return service_unavailable()
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_DOWN):
            log.warning("database unavailable, answering 503 for %s: %s", request.path, exception)
            return service_unavailable()
        return None


def _note_database_error(sender, request=None, **kwargs):
    # Sent while the exception is being handled, so sys.exc_info() still holds it.
    if request is not None and isinstance(sys.exc_info()[1], DATABASE_DOWN):
        request.database_unavailable = True


def connect_signals():
    got_request_exception.connect(_note_database_error, dispatch_uid="qa.serving.unavailable.note_database_error")
