"""Chamber's settings: one file, every knob from the environment (see the README table)."""

import datetime
import os
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r}: expected one of 1/0, true/false, yes/no, on/off")


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int, *, minimum: int = 1) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r}: expected a whole number") from None
    if number < minimum:
        raise ImproperlyConfigured(f"{name}={value!r}: expected at least {minimum}")
    return number


def env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser().resolve() if value else default


def database_from_url(url: str) -> dict:
    """Turn DATABASE_URL into a DATABASES entry: sqlite:///relative/path, sqlite:////abs/path
    or postgres://user:password@host:port/name?sslmode=require (psycopg 3)."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = parts.path[1:] if parts.path.startswith("/") else parts.path
        if not path:
            raise ImproperlyConfigured(f"DATABASE_URL={url!r}: no file name for SQLite")
        name = BASE_DIR / path  # an absolute path stays as it is
        name.parent.mkdir(parents=True, exist_ok=True)  # zero setup: var/ appears on first use
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": name,
            # Several writers at once (two loads, a load and the admin): readers never wait
            # for a writer (WAL), and a writer takes the write lock when its transaction
            # begins (IMMEDIATE), waiting up to `timeout` seconds for another one, instead
            # of failing with "database is locked" when it first writes.
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": env_int("SQLITE_TIMEOUT", 60),
            },
        }
    if parts.scheme in {"postgres", "postgresql", "pgsql"}:
        database = unquote(parts.path.lstrip("/"))
        if not database:
            raise ImproperlyConfigured(f"DATABASE_URL={url!r}: no database name")
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": database,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": 60,
            "OPTIONS": dict(parse_qsl(parts.query)),
        }
    raise ImproperlyConfigured(
        f"DATABASE_URL={url!r}: unsupported scheme {parts.scheme!r} (use sqlite:/// or postgres://)"
    )


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "chamber-development-only-not-secret"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")

VAR_DIR = BASE_DIR / "var"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Before haystack: its `update_index` command (search/management) is the one that runs.
    "search",
    "haystack",
    "axes",  # admin login throttling (see "Production" below)
    "debates",
]

MIDDLEWARE = [
    # First: every request gets an id and one log line, and too large a body is refused
    # before anything reads it.
    "config.middleware.RequestLogMiddleware",
    "config.middleware.RequestBodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files, before anything slower
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "search.middleware.SearchUnavailableMiddleware",  # a shard down: a 503 page, not a 500
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": database_from_url(
        os.environ.get("DATABASE_URL") or f"sqlite:///{(VAR_DIR / 'chamber.sqlite3').resolve()}"
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env_path("STATIC_ROOT", VAR_DIR / "static")

# The search engine, behind Haystack (README, "Choosing a search engine"): Whoosh, pure
# Python, for an archive of up to a few hundred thousand speeches; Tantivy (embedded, Rust)
# for a decade of Parliament and more; Xapian (xapian-tcpsrv shards) for archives that
# outgrow one machine. Switching is this setting and `rebuild_index`.
SEARCH_ENGINES = {
    "whoosh": "search.whoosh.Engine",
    "tantivy": "search.tantivy.Engine",
    "xapian": "search.xapian.Engine",
}
SEARCH_ENGINE = os.environ.get("SEARCH_ENGINE", "whoosh").strip().lower() or "whoosh"
if SEARCH_ENGINE not in SEARCH_ENGINES:
    raise ImproperlyConfigured(
        f"SEARCH_ENGINE={SEARCH_ENGINE!r}: expected one of {', '.join(SEARCH_ENGINES)}"
    )
# The index folder: SEARCH_PATH, or (for Whoosh, as before) WHOOSH_PATH, or var/<engine>/.
_DEFAULT_SEARCH_PATH = VAR_DIR / SEARCH_ENGINE
if SEARCH_ENGINE == "whoosh":
    _DEFAULT_SEARCH_PATH = env_path("WHOOSH_PATH", _DEFAULT_SEARCH_PATH)
SEARCH_PATH = env_path("SEARCH_PATH", _DEFAULT_SEARCH_PATH)
HAYSTACK_CONNECTIONS = {
    "default": {
        # Chamber's engines: docs/search-engine.md says what each does and why.
        "ENGINE": SEARCH_ENGINES[SEARCH_ENGINE],
        "PATH": str(SEARCH_PATH),
        # Documents per batch for `update_index`/`rebuild_index`: big batches mean few
        # commits and few segments.
        "BATCH_SIZE": 10000,
    },
}
# Xapian's shards (README, "Scaling out"): `host:port` of each `xapian-tcpsrv --writable`,
# comma-separated, in a fixed order (a debate's shard follows from its date and the number
# of shards). Unset: one local database in SEARCH_PATH.
if SEARCH_ENGINE == "xapian":
    HAYSTACK_CONNECTIONS["default"]["SHARDS"] = [
        shard.strip() for shard in os.environ.get("XAPIAN_SHARDS", "").split(",") if shard.strip()
    ]
# Speeches per index commit when the index queue is drained (search.indexing): large
# batches mean few commits and few segments.
CHAMBER_INDEX_BATCH = env_int("CHAMBER_INDEX_BATCH", 10_000)
# One indexed model: filtering every query by model costs ~135 ms at 100k speeches
# (docs/search-engine.md).
HAYSTACK_LIMIT_TO_REGISTERED_MODELS = False

# Transcripts: the largest file accepted (a ParlParse sitting day is about 1 MB), and for
# uploads, the most files at once (a .zip counts its entries) and where files wait between
# the preview and the confirmation.
CHAMBER_MAX_TRANSCRIPT_BYTES = env_int("CHAMBER_MAX_TRANSCRIPT_MB", 20) * 1_000_000
CHAMBER_MAX_UPLOAD_FILES = env_int("CHAMBER_MAX_UPLOAD_FILES", 400)
CHAMBER_UPLOAD_DIR = env_path("CHAMBER_UPLOAD_DIR", VAR_DIR / "uploads")
# All the files of one upload together, uncompressed (a .zip is refused before it is inflated).
CHAMBER_MAX_UPLOAD_BYTES = env_int("CHAMBER_MAX_UPLOAD_MB", 200) * 1_000_000
# A debate page shows this many speeches; longer debates are read in pages.
CHAMBER_DEBATE_PAGE_SPEECHES = env_int("CHAMBER_DEBATE_PAGE_SPEECHES", 200)
# A speech longer than this many sentences is read in parts (its own page, `?part=2`); the
# debate page shows its first part and links to the rest.
CHAMBER_SPEECH_PART_SENTENCES = env_int("CHAMBER_SPEECH_PART_SENTENCES", 1000)
# Django refuses a request with more files than this (400) before Chamber reads them.
DATA_UPLOAD_MAX_NUMBER_FILES = CHAMBER_MAX_UPLOAD_FILES

# -- Production: static files, HTTPS, headers, login throttling, logging -------------------

# WhiteNoise serves the static files from gunicorn: `collectstatic` writes them compressed
# (gzip, and Brotli if installed) under hashed names, which are cached for a year. Under
# DEBUG (and in the tests) the plain storage serves them from the app folders as they are.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_MAX_AGE = 60 * 60  # files without a hash in their name (the hashed ones: forever)
# A file missing from the manifest (collectstatic not run since it was added, or a script
# run with DEBUG off) is linked by its plain name rather than failing the page with a 500.
WHITENOISE_MANIFEST_STRICT = False

# HTTPS=1 once TLS is terminated in front (README "Deploying"): HSTS, the redirect to
# https:// unless the proxy says the request was secure, and cookies sent over HTTPS only.
HTTPS = env_bool("HTTPS", False)
if HTTPS:
    SECURE_SSL_REDIRECT = True
    # The proxy sets this header (and must overwrite one sent by the client).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # a load balancer may check over plain HTTP
    SECURE_HSTS_SECONDS = env_int("HSTS_SECONDS", 60 * 60 * 24 * 365, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", HTTPS)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
# SecurityMiddleware's defaults stand: nosniff, Referrer-Policy same-origin,
# Cross-Origin-Opener-Policy same-origin; and X-Frame-Options DENY.
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): the pages load their own CSS, JS and images only;
# no inline scripts or styles, no frames, forms post to this site.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],  # the admin's widgets draw a few data: icons
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# The largest request body outside the admin's transcript upload (413 above it): search and
# browsing are GET-only, and the admin's other forms are small.
CHAMBER_MAX_REQUEST_BYTES = env_int("CHAMBER_MAX_REQUEST_KB", 1024) * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = CHAMBER_MAX_REQUEST_BYTES

# django-axes: after AXES_FAILURE_LIMIT wrong passwords for one user name from one address,
# that pair is locked out for AXES_COOLOFF_MINUTES (429, with a message); a success resets.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "axes/lockout.html"
AXES_CLIENT_IP_CALLABLE = "config.middleware.client_ip"
AXES_VERBOSE = False  # our own log line says it (config.middleware)
# The proxies whose X-Forwarded-For is believed (gunicorn reads the same variable).
FORWARDED_ALLOW_IPS = env_list("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Logging: one JSON object a line on stderr (config/logs.py): every request with its id,
# status and duration, a warning above SLOW_REQUEST_MS, errors with their traceback.
SLOW_REQUEST_MS = env_int("SLOW_REQUEST_MS", 1000)
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "config.logs.RequestIdFilter"}},
    "formatters": {"json": {"()": "config.logs.JsonFormatter"}},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stderr",
            "formatter": "json",
            "filters": ["request_id"],
        },
    },
    "root": {"handlers": ["stderr"], "level": "WARNING"},
    "loggers": {
        "django": {"handlers": ["stderr"], "level": LOG_LEVEL, "propagate": False},
        # The request line is chamber.request's (with the id and duration): Django's own
        # 4xx warnings would say it twice. Its 5xx errors carry the traceback: kept.
        "django.request": {"handlers": ["stderr"], "level": "ERROR", "propagate": False},
        "django.server": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
        "chamber": {"handlers": ["stderr"], "level": LOG_LEVEL, "propagate": False},
        "axes": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
    },
}

# Errors to Sentry too, when a DSN is given (no personal data is sent).
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
if SENTRY_DSN:
    import sentry_sdk

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=os.environ.get("SENTRY_ENVIRONMENT", "production"),
        traces_sample_rate=0.0,
        send_default_pii=False,
    )

TEST_RUNNER = "tests.runner.ChamberTestRunner"

# -- The open API (api/), its feeds and exports (issue 16) --------------------------------------
INSTALLED_APPS += ["rest_framework", "django_filters", "drf_spectacular", "corsheaders", "api"]
INSTALLED_APPS += ["drf_spectacular_sidecar"]  # Swagger UI's files, served as our own statics
# CORS before CommonMiddleware, so that its headers are on every answer, redirects included.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.common.CommonMiddleware"),
    "corsheaders.middleware.CorsMiddleware",
)
CORS_URLS_REGEX = r"^/api/.*$"  # the API only: any site may read it, nobody may write
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
# Requests per address and period ("120/min", "5000/day") before 429 and Retry-After.
CHAMBER_API_RATE = os.environ.get("CHAMBER_API_RATE", "120/min")
# The same for the search box's member suggestions (/search/speakers/), asked for as people
# type (static/js/speakers.js waits for a pause in the typing): five a second.
CHAMBER_SUGGEST_RATE = os.environ.get("CHAMBER_SUGGEST_RATE", "300/min")
REST_FRAMEWORK = {
    # Read-only and anonymous: no sessions, no CSRF, every caller limited by address.
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.AddressRateThrottle"],
    # Behind a proxy, how many X-Forwarded-For entries it adds (0: the peer's address).
    "NUM_PROXIES": env_int("CHAMBER_API_PROXIES", 0, minimum=0),
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Pages",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.handle",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Chamber API",
    "DESCRIPTION": "Read-only access to the debates, speeches and members Chamber holds. "
    "Contains Parliamentary information licensed under the Open Parliament Licence v3.0.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "DebateKind": "debates.choices.DebateKind.choices",
        "SpeechKind": "debates.choices.SpeechKind.choices",
        "House": "debates.choices.House.choices",
    },
}
# The most rows one export (/search/export.csv, .jsonl) writes.
CHAMBER_EXPORT_MAX_ROWS = env_int("CHAMBER_EXPORT_MAX_ROWS", 10_000)
