"""One shape for every error the API answers: {"error": {"status", "message", "fields"?}}."""

from typing import Any

from django.http import HttpRequest, JsonResponse
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler

from search.engines import SearchUnavailable
from search.middleware import RETRY_AFTER, report


def handle(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler (status, Retry-After on 429), with the body in the API's error shape; a
    search engine that cannot answer (a shard down) is a 503 to try again."""
    if isinstance(exc, SearchUnavailable):
        request = context.get("request")
        report(request.path if request is not None else "the API", exc)
        message = "Search is unavailable for a moment: part of the index cannot be reached."
        return Response(
            {"error": {"status": 503, "message": message}},
            status=503,
            headers={"Retry-After": str(RETRY_AFTER)},
        )
    response = exception_handler(exc, context)
    if response is None:
        return None
    body: dict[str, Any] = {"status": response.status_code}
    if isinstance(exc, ValidationError):
        body["message"] = "Some parameters are not valid: see fields."
        body["fields"] = response.data
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
        body["message"] = str(detail) or response.status_text
    response.data = {"error": body}
    return response


def not_found(request: HttpRequest, path: str = "") -> JsonResponse:
    """An address under /api/v1/ that names no endpoint."""
    message = f"There is no endpoint at {request.path}: see /api/v1/ for the list."
    return JsonResponse({"error": {"status": 404, "message": message}}, status=404)
