"""One shape for every error the API answers: {"error": {"status", "message", "fields"?}}."""

from typing import Any

from django.http import HttpRequest, JsonResponse
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler


def handle(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler (status, Retry-After on 429), with the body in the API's error shape."""
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
