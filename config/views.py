"""The project's own views: the health check, the favicon and the 500 page.

`/healthz`: is this process able to serve? The database answers a query and the search
index opens and answers one. 200 with {"status": "ok", ...}, else 503 saying which part
failed (the error itself goes to the log, not to whoever asks)."""

import logging
import time

from django.db import connection
from django.http import (
    HttpRequest,
    HttpResponsePermanentRedirect,
    HttpResponseServerError,
    JsonResponse,
)
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe
from haystack.query import SearchQuerySet

from .logs import request_id

log = logging.getLogger("chamber.health")


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _index() -> None:
    # A word no speech holds: the index is opened and searched, and nothing is counted.
    SearchQuerySet().filter(content="chamberhealthcheckprobe").count()


@csrf_exempt
@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    checks: dict[str, str] = {}
    timings: dict[str, float] = {}
    for name, check in (("database", _database), ("index", _index)):
        started = time.perf_counter()
        try:
            check()
        except Exception:
            log.exception("Health check failed: %s", name)
            checks[name] = "failing"
        else:
            checks[name] = "ok"
        timings[name] = round((time.perf_counter() - started) * 1000, 1)
    healthy = all(state == "ok" for state in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "failing", "checks": checks, "ms": timings},
        status=200 if healthy else 503,
    )


@require_safe
def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    """/favicon.ico, which browsers ask for on pages that name no icon (the admin's)."""
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))


def server_error(request: HttpRequest) -> HttpResponseServerError:
    """The 500 page, with the request's id so that a report can be matched to the log.
    Plain: no template tags that could fail again."""
    html = render_to_string("500.html", {"request_id": request_id.get()})
    return HttpResponseServerError(html)
