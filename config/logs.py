"""Structured logs: one JSON object a line, on stderr, each with the id of the request it
belongs to (set by `config.middleware.RequestLogMiddleware`, "-" outside a request)."""

import contextvars
import json
import logging
from datetime import UTC, datetime

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

# What a LogRecord carries by itself; any other attribute came from `extra=` and is logged.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}
# Django's request loggers attach the request and the server's socket: not JSON, not useful.
_SKIPPED = {"request", "server_time", "status_code"}


# Where the middleware also keeps the id: Django logs a 4xx/5xx response (`django.request`,
# with the request attached) after the middleware has returned.
META_KEY = "chamber.request_id"


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            meta = getattr(getattr(record, "request", None), "META", None) or {}
            record.request_id = meta.get(META_KEY) or request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", request_id.get()),
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in _SKIPPED:
                entry[key] = value
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)
