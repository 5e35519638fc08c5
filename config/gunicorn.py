"""gunicorn's settings for `make serve` (`gunicorn -c config/gunicorn.py config.wsgi`).

Sized for the machine unless the environment says otherwise: WEB_CONCURRENCY workers
(default 2 per core + 1: a page spends part of its time waiting on the database, the rest
on the CPU), each killed and replaced when a request runs past WEB_TIMEOUT seconds.
"""

import multiprocessing
import os

# Production unless asked otherwise; settings refuse to start without SECRET_KEY.
os.environ.setdefault("DEBUG", "0")

bind = os.environ.get("HOST", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
worker_class = "sync"  # CPU-bound pages; the proxy in front buffers slow clients
# An upload's confirmation loads and indexes in the request: a ParlParse day into a 100k
# index took 63 s under load (bench/load.py), past the 60 s this was first.
timeout = int(os.environ.get("WEB_TIMEOUT") or 180)
graceful_timeout = 30
keepalive = 5
# A worker is replaced after this many requests (with jitter, so not all at once): a slow
# leak cannot grow for ever.
max_requests = 2000
max_requests_jitter = 200
# Load Django once in the master: errors in the settings stop `make serve` at once, and
# workers share the loaded code.
preload_app = True
# The heartbeat file in memory, not on a disk that might stall.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# Bounded request heads (the body is bounded by config.middleware).
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
# Chamber logs each request itself, with its id (config/logs.py): no second access log.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
proc_name = "chamber"
# gunicorn's own lines in the same JSON form as Chamber's.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "config.logs.JsonFormatter"}},
    # gunicorn merges this over its defaults key by key: the names it uses are kept.
    "handlers": {
        name: {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
        for name in ("console", "error_console")
    },
    "root": {"level": "WARNING", "handlers": ["console"]},
    "loggers": {
        "gunicorn.error": {
            "level": loglevel.upper(),
            "handlers": ["error_console"],
            "propagate": False,
        },
    },
}
