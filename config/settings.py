"""Chamber's settings: one file, every knob from the environment (see the README table)."""

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
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": name}
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
    "haystack",
    "debates",
    "search",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
STATIC_ROOT = VAR_DIR / "static"

WHOOSH_PATH = env_path("WHOOSH_PATH", VAR_DIR / "whoosh")
HAYSTACK_CONNECTIONS = {
    "default": {
        # Haystack's Whoosh backend, with the fixes docs/search-engine.md gives the reasons for.
        "ENGINE": "search.backends.ChamberWhooshEngine",
        "PATH": str(WHOOSH_PATH),
        # Documents per batch for `update_index`/`rebuild_index`: big batches mean few
        # commits and few segments.
        "BATCH_SIZE": 10000,
    },
}
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
# Django refuses a request with more files than this (400) before Chamber reads them.
DATA_UPLOAD_MAX_NUMBER_FILES = CHAMBER_MAX_UPLOAD_FILES

if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)

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
