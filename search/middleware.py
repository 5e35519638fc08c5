"""A search engine that cannot answer (a shard server down, search.engines.SearchUnavailable)
is a 503 page that says so, not a 500: the archive's other pages go on working, and the
next request tries the engine again. The API answers the same in its own error shape
(api/errors.py)."""

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from .engines import SearchUnavailable

log = logging.getLogger("search.unavailable")
RETRY_AFTER = 30  # seconds: how long a shard server takes to be restarted, roughly


class SearchUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, SearchUnavailable):
            return None
        report(request.path, exception)
        html = render_to_string("503.html", {"request": request}, request=request)
        response = HttpResponse(html, status=503)
        response["Retry-After"] = str(RETRY_AFTER)
        return response


def report(path: str, exception: SearchUnavailable) -> None:
    """One log line naming what failed (the API's error handler reports its own too)."""
    log.error("Search unavailable for %s: %s", path, exception)
