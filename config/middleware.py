"""Middleware of the production setup: request ids and the request log, and bounded bodies.

Every request gets an id (the `X-Request-ID` a proxy sent, if it looks like one, else a new
one), returned in the response's `X-Request-ID` and attached to every log line written while
it runs. One `chamber.request` line per request gives method, path, status and duration; a
request slower than `SLOW_REQUEST_MS` is logged as a warning.
"""

import ipaddress
import logging
import re
import time
import uuid

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse

from .logs import META_KEY, request_id

log = logging.getLogger("chamber.request")

_GOOD_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")


def client_ip(request: HttpRequest) -> str:
    """The visitor's address: the last one a trusted proxy (FORWARDED_ALLOW_IPS) added to
    X-Forwarded-For, else the peer's. Anyone else's X-Forwarded-For is ignored (it is typed
    by the client). django-axes locks out by it."""
    peer = request.META.get("REMOTE_ADDR", "")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and (peer in settings.FORWARDED_ALLOW_IPS or "*" in settings.FORWARDED_ALLOW_IPS):
        candidate = forwarded.split(",")[-1].strip()
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            pass
    return peer


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        sent = request.headers.get("X-Request-ID", "")
        rid = sent if _GOOD_ID.fullmatch(sent) else uuid.uuid4().hex
        token = request_id.set(rid)
        request.META[META_KEY] = rid
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = rid
            if request.method == "HEAD" and not response.streaming:
                response.content = b""  # the headers (Content-Length too) say it all
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            slow = duration_ms > settings.SLOW_REQUEST_MS
            if response.status_code >= 500:
                level = logging.ERROR
            else:
                level = logging.WARNING if slow else logging.INFO
            log.log(
                level,
                "%s %s %s %.0f ms%s",
                request.method,
                request.path,
                response.status_code,
                duration_ms,
                " (slow)" if slow else "",
                extra={
                    "method": request.method,
                    "path": request.path,
                    "query": request.META.get("QUERY_STRING", "")[:500],
                    "status": response.status_code,
                    "duration_ms": duration_ms,
                    "slow": slow,
                    "client": client_ip(request),
                    "user_agent": request.headers.get("User-Agent", "")[:200],
                },
            )
            return response
        finally:
            request_id.reset(token)


class RequestBodyLimitMiddleware:
    """Refuses (413) a request whose declared body is over CHAMBER_MAX_REQUEST_BYTES, before
    anything reads it, except the admin's transcript upload, bounded by its own
    CHAMBER_MAX_UPLOAD_MB (plus room for the form around the files). A body without a
    length (chunked) is never read by Django: it reads as empty."""

    UPLOAD_OVERHEAD = 1_000_000

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = self.limit_for(request.path)
        if length > limit:
            html = render_to_string("413.html", {"limit": limit, "length": length}, request=request)
            response = HttpResponse(html, status=413)
            response["Connection"] = "close"  # the body was never read
            return response
        return self.get_response(request)

    def limit_for(self, path: str) -> int:
        try:
            upload = reverse("admin:debates_sourcefile_upload")
        except NoReverseMatch:  # a site without the admin
            upload = None
        if path == upload:
            return settings.CHAMBER_MAX_UPLOAD_BYTES + self.UPLOAD_OVERHEAD
        return settings.CHAMBER_MAX_REQUEST_BYTES
