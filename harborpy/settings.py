"""harborpy settings: every deployment choice comes from the environment.

The defaults are the embedded development setup (SQLite, filesystem storage under
``HARBORPY_DATA_DIR``, an in-process Celery broker). Production sets ``DATABASE_URL``,
``REDIS_URL``, ``HARBORPY_S3_*`` and friends; README lists them all. A malformed value
raises ``ImproperlyConfigured`` at import time, so a bad deployment fails at start.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {raw!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_secret(name: str, default: str = "") -> str:
    """Read a secret from NAME, or from the file named by NAME_FILE (Docker/Kubernetes secrets)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={path!r} cannot be read: {exc}") from None
    return os.environ.get(name, default)


def _require(name: str, value: str, because: str) -> str:
    if not value:
        raise ImproperlyConfigured(f"{name} must be set when {because}")
    return value


# --- Paths and secrets --------------------------------------------------------------------------

DATA_DIR = Path(env_str("HARBORPY_DATA_DIR", str(BASE_DIR / "data"))).resolve()
try:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
except OSError as exc:
    raise ImproperlyConfigured(f"HARBORPY_DATA_DIR={str(DATA_DIR)!r} cannot be created: {exc}") from None


def _secret_key() -> str:
    key = env_secret("HARBORPY_SECRET_KEY")
    if key:
        return key
    # Development default: generated once into the data dir, so restarts keep sessions valid.
    path = DATA_DIR / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        key = secrets.token_urlsafe(50)
        fh.write(key)
    return key


SECRET_KEY = _secret_key()
DEBUG = env_bool("HARBORPY_DEBUG", False)

EXTERNAL_URL = env_str("HARBORPY_EXTERNAL_URL").rstrip("/")
if EXTERNAL_URL:
    _parts = urlsplit(EXTERNAL_URL)
    if _parts.scheme not in {"http", "https"} or not _parts.netloc or _parts.path not in {"", "/"}:
        raise ImproperlyConfigured(
            f"HARBORPY_EXTERNAL_URL must look like https://registry.example.com, got {EXTERNAL_URL!r}"
        )

ALLOWED_HOSTS = env_list("HARBORPY_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
if EXTERNAL_URL and (_external_host := urlsplit(EXTERNAL_URL).hostname) not in ALLOWED_HOSTS:
    ALLOWED_HOSTS.append(_external_host)
CSRF_TRUSTED_ORIGINS = [EXTERNAL_URL] if EXTERNAL_URL else []
if env_bool("HARBORPY_BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Applications -------------------------------------------------------------------------------

INSTALLED_APPS = [
    "harborpy.apps.HarborAdminConfig",  # django.contrib.admin with harborpy.admin_site as admin.site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "guardian",
    "django_celery_beat",
    "audit",
    "projects",
    "images",
    "replication",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "harborpy.drf.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# The registry's own handler (harborpy/handlers.py) runs only these: tokens, not sessions.
REGISTRY_MIDDLEWARE = ["harborpy.handlers.RegistryLocaleMiddleware"]

ROOT_URLCONF = "harborpy.urls"
WSGI_APPLICATION = "harborpy.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "images.portal.context_processors.portal",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------------

DATABASE_URL = env_str("DATABASE_URL")
CONN_MAX_AGE = env_int("HARBORPY_DB_CONN_MAX_AGE", 600, minimum=0)
# A health check is a `SELECT 1` round trip before the first query of every request; without it a
# connection the database dropped fails one request and is then replaced.
CONN_HEALTH_CHECKS = env_bool("HARBORPY_DB_CONN_HEALTH_CHECKS", False)
if DATABASE_URL:
    try:
        _db = dj_database_url.parse(
            DATABASE_URL, conn_max_age=CONN_MAX_AGE, conn_health_checks=CONN_HEALTH_CHECKS
        )
    except (ValueError, KeyError) as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from None
    if _db["ENGINE"] not in {"django.db.backends.postgresql", "django.db.backends.sqlite3"}:
        raise ImproperlyConfigured("DATABASE_URL must be a postgres:// or sqlite:// URL")
else:
    _db = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(DATA_DIR / "harborpy.sqlite3"),
        "CONN_MAX_AGE": CONN_MAX_AGE,
        "CONN_HEALTH_CHECKS": CONN_HEALTH_CHECKS,
    }
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent pushes on the embedded database: WAL lets readers go on during a write, a busy
    # timeout makes writers queue instead of failing, and IMMEDIATE transactions take the write
    # lock up front, so two transactions never deadlock upgrading a read lock ("database is locked").
    _db.setdefault("OPTIONS", {}).update(
        {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;",
        }
    )
    _db.setdefault("TEST", {})["NAME"] = env_str("HARBORPY_TEST_SQLITE", "") or None
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (credential cache, token cache) ------------------------------------------------------

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    if urlsplit(REDIS_URL).scheme not in {"redis", "rediss", "unix"}:
        raise ImproperlyConfigured(f"REDIS_URL must be a redis:// URL, got {REDIS_URL!r}")
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Authentication -----------------------------------------------------------------------------

AUTH_USER_MODEL = "projects.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
ANONYMOUS_USER_NAME = None  # guardian: anonymous callers have no object permissions

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "projects.passwords.HarborPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Failed logins: after this many failures for one username, or from one address, within the
# window, further attempts are refused until the window has passed.
LOGIN_FAILURE_LIMIT = env_int("HARBORPY_LOGIN_FAILURE_LIMIT", 10, minimum=1)
LOGIN_FAILURE_WINDOW_SECONDS = env_int("HARBORPY_LOGIN_FAILURE_WINDOW_SECONDS", 300, minimum=1)
# Defaults of the run-time system settings (projects.SystemSettings), before an admin changes them.
SELF_REGISTRATION = env_bool("HARBORPY_SELF_REGISTRATION", False)
PROJECT_CREATION_RESTRICTION = env_str("HARBORPY_PROJECT_CREATION_RESTRICTION", "everyone")
if PROJECT_CREATION_RESTRICTION not in {"everyone", "adminonly"}:
    raise ImproperlyConfigured("HARBORPY_PROJECT_CREATION_RESTRICTION must be everyone or adminonly")
# A password verified once is remembered (as an HMAC of the credential, never in clear) for this
# many seconds, so `docker pull` with Basic auth does not run the password hasher on every request.
CREDENTIAL_CACHE_SECONDS = env_int("HARBORPY_CREDENTIAL_CACHE_SECONDS", 60, minimum=0)
# Days a robot account lives when created without a duration (Harbor's robot_token_duration).
ROBOT_TOKEN_DURATION_DAYS = env_int("HARBORPY_ROBOT_TOKEN_DURATION_DAYS", 30, minimum=1)

ADMIN_PASSWORD = env_secret("HARBORPY_ADMIN_PASSWORD")

# The portal (images/portal/): where logging in starts and where it, and logging out, lead.
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:projects"
LOGOUT_REDIRECT_URL = "portal:projects"

# --- Audit -------------------------------------------------------------------------------------

# Record every manifest pull in the audit trail (large registries often switch this off).
AUDIT_PULL = env_bool("HARBORPY_AUDIT_PULL", True)
# Pull records, pull counts and pull times are written in batches (images/pulls.py).
PULL_FLUSH_SECONDS = env_int("HARBORPY_PULL_FLUSH_SECONDS", 2, minimum=0)
PULL_FLUSH_MAX = env_int("HARBORPY_PULL_FLUSH_MAX", 500, minimum=1)
# Records older than this many days are purged every night (0 keeps them forever); a purge
# schedule set through the API (system/purgeaudit) runs in addition, with its own parameters.
AUDIT_RETENTION_DAYS = env_int("HARBORPY_AUDIT_RETENTION_DAYS", 365, minimum=0)
# Forward every audit record to syslog (RFC 5424): udp://host:514 or tcp://host:601.
AUDIT_SYSLOG_URL = env_str("HARBORPY_AUDIT_SYSLOG_URL")
if AUDIT_SYSLOG_URL:
    _syslog = urlsplit(AUDIT_SYSLOG_URL)
    if _syslog.scheme not in {"udp", "tcp"} or not _syslog.hostname or not _syslog.port:
        raise ImproperlyConfigured(
            "HARBORPY_AUDIT_SYSLOG_URL must look like udp://host:514 or tcp://host:601"
        )

# --- LDAP / Active Directory --------------------------------------------------------------------
# Setting HARBORPY_LDAP_URL switches LDAP on: users log in with their directory password (the API,
# the admin site, `docker login`), their LDAP groups become Harbor user groups that can be project
# members, and members of HARBORPY_LDAP_ADMIN_GROUP_DN are system admins. Database users (such as
# the bootstrapped `admin`) keep logging in with their own password. Needs `pip install '.[ldap]'`.

LDAP_URL = env_str("HARBORPY_LDAP_URL").strip()
LDAP_ENABLED = bool(LDAP_URL)
LDAP_BIND_DN = env_str("HARBORPY_LDAP_BIND_DN")
LDAP_BIND_PASSWORD = env_secret("HARBORPY_LDAP_BIND_PASSWORD")
LDAP_USER_BASE_DN = env_str("HARBORPY_LDAP_USER_BASE_DN")
LDAP_USER_FILTER = env_str("HARBORPY_LDAP_USER_FILTER", "(objectClass=person)")
LDAP_UID_ATTRIBUTE = env_str("HARBORPY_LDAP_UID_ATTRIBUTE", "uid")
LDAP_SCOPE = env_str("HARBORPY_LDAP_SCOPE", "subtree").strip().lower()
# Groups are searched under the user base DN when no group base DN is given (as Harbor does).
LDAP_GROUP_BASE_DN = env_str("HARBORPY_LDAP_GROUP_BASE_DN") or LDAP_USER_BASE_DN
LDAP_GROUP_FILTER = env_str("HARBORPY_LDAP_GROUP_FILTER", "(objectClass=groupOfNames)")
LDAP_GROUP_TYPE = env_str("HARBORPY_LDAP_GROUP_TYPE", "nestedGroupOfNames").strip()
LDAP_GROUP_NAME_ATTRIBUTE = env_str("HARBORPY_LDAP_GROUP_NAME_ATTRIBUTE", "cn")
LDAP_ADMIN_GROUP_DN = env_str("HARBORPY_LDAP_ADMIN_GROUP_DN").strip()
LDAP_START_TLS = env_bool("HARBORPY_LDAP_START_TLS", False)
LDAP_TLS_CA_FILE = env_str("HARBORPY_LDAP_TLS_CA_FILE")
LDAP_VERIFY_CERT = env_bool("HARBORPY_LDAP_VERIFY_CERT", True)
LDAP_TIMEOUT = env_int("HARBORPY_LDAP_TIMEOUT", 5, minimum=1)
LDAP_EMAIL_ATTRIBUTE = env_str("HARBORPY_LDAP_EMAIL_ATTRIBUTE", "mail")
LDAP_REALNAME_ATTRIBUTE = env_str("HARBORPY_LDAP_REALNAME_ATTRIBUTE", "cn")
# Seconds between two runs of the LDAP sync (groups, admin flag, deactivation); 0 turns it off.
LDAP_SYNC_INTERVAL = env_int("HARBORPY_LDAP_SYNC_INTERVAL", 3600, minimum=0)
LDAP_SCOPES = ("base", "onelevel", "subtree")
LDAP_GROUP_TYPES = (
    "groupOfNames",
    "nestedGroupOfNames",
    "groupOfUniqueNames",
    "nestedGroupOfUniqueNames",
    "activeDirectory",
    "nestedActiveDirectory",
    "posixGroup",
)
if LDAP_SCOPE not in LDAP_SCOPES:
    raise ImproperlyConfigured(f"HARBORPY_LDAP_SCOPE must be base, onelevel or subtree, got {LDAP_SCOPE!r}")
if LDAP_GROUP_TYPE not in LDAP_GROUP_TYPES:
    raise ImproperlyConfigured(
        f"HARBORPY_LDAP_GROUP_TYPE must be one of {', '.join(LDAP_GROUP_TYPES)}, got {LDAP_GROUP_TYPE!r}"
    )
if LDAP_ENABLED:
    for _uri in LDAP_URL.split():
        if urlsplit(_uri).scheme not in {"ldap", "ldaps"} or not urlsplit(_uri).netloc:
            raise ImproperlyConfigured(
                f"HARBORPY_LDAP_URL must look like ldap://host:389 or ldaps://host:636, got {_uri!r}"
            )
    _require("HARBORPY_LDAP_USER_BASE_DN", LDAP_USER_BASE_DN, "HARBORPY_LDAP_URL is set")
    if LDAP_BIND_DN:
        _require("HARBORPY_LDAP_BIND_PASSWORD", LDAP_BIND_PASSWORD, "HARBORPY_LDAP_BIND_DN is set")
    if LDAP_TLS_CA_FILE and not Path(LDAP_TLS_CA_FILE).is_file():
        raise ImproperlyConfigured(f"HARBORPY_LDAP_TLS_CA_FILE={LDAP_TLS_CA_FILE!r} is not a readable file")
    try:
        import django_auth_ldap  # noqa: F401  (python-ldap needs C headers: an optional extra)
    except ImportError:
        raise ImproperlyConfigured(
            "HARBORPY_LDAP_URL is set but django-auth-ldap is not installed: pip install 'harborpy[ldap]' "
            "(python-ldap builds against libldap2-dev and libsasl2-dev)"
        ) from None
    # First: an LDAP user is checked against the directory; a database user is left to ModelBackend.
    AUTHENTICATION_BACKENDS.insert(0, "projects.ldap.LdapBackend")

# --- Registry -----------------------------------------------------------------------------------

REGISTRY_SERVICE = env_str("HARBORPY_REGISTRY_SERVICE", "harbor-registry")
REGISTRY_TOKEN_ISSUER = env_str("HARBORPY_TOKEN_ISSUER", "harborpy-token-issuer")
REGISTRY_TOKEN_EXPIRATION = env_int("HARBORPY_TOKEN_EXPIRATION", 1800, minimum=60)
REGISTRY_TOKEN_PRIVATE_KEY = env_secret("HARBORPY_TOKEN_PRIVATE_KEY")
REGISTRY_TOKEN_KEY_PATH = DATA_DIR / "token_private_key.pem"
MANIFEST_MAX_BYTES = env_int("HARBORPY_MANIFEST_MAX_BYTES", 4 * 1024 * 1024, minimum=1024)
# Pieces in which upload bodies are read from the WSGI stream and written to storage.
UPLOAD_READ_BYTES = env_int("HARBORPY_UPLOAD_READ_BYTES", 1024 * 1024, minimum=64 * 1024)
# Write blob bytes to the filesystem with O_DIRECT where the filesystem allows it (images/blobstore.py
# says why); off: through the page cache.
BLOB_DIRECT_IO = env_bool("HARBORPY_BLOB_DIRECT_IO", True)
CATALOG_DEFAULT_PAGE_SIZE = env_int("HARBORPY_CATALOG_PAGE_SIZE", 100, minimum=1)
LIST_MAX_PAGE_SIZE = env_int("HARBORPY_LIST_MAX_PAGE_SIZE", 10000, minimum=1)
# nginx in front: serve filesystem blobs with X-Accel-Redirect under this internal location.
REGISTRY_X_ACCEL_REDIRECT = env_str("HARBORPY_X_ACCEL_REDIRECT")

# --- Storage ------------------------------------------------------------------------------------

S3_ENABLED = env_bool("HARBORPY_S3_ENABLED", False)
if S3_ENABLED:
    _s3_options = {
        "bucket_name": _require("HARBORPY_S3_BUCKET", env_str("HARBORPY_S3_BUCKET"), "HARBORPY_S3_ENABLED"),
        "endpoint_url": env_str("HARBORPY_S3_ENDPOINT_URL") or None,
        "access_key": env_secret("HARBORPY_S3_ACCESS_KEY") or None,
        "secret_key": env_secret("HARBORPY_S3_SECRET_KEY") or None,
        "region_name": env_str("HARBORPY_S3_REGION") or None,
        "location": env_str("HARBORPY_S3_PREFIX", "harborpy").strip("/"),
        "addressing_style": env_str("HARBORPY_S3_ADDRESSING_STYLE", "path"),
        "signature_version": "s3v4",
        "file_overwrite": True,
        "default_acl": None,
        "querystring_expire": 300,
    }
    if _s3_options["addressing_style"] not in {"path", "virtual", "auto"}:
        raise ImproperlyConfigured("HARBORPY_S3_ADDRESSING_STYLE must be path, virtual or auto")
    _blob_storage = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": _s3_options}
else:
    _blob_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(DATA_DIR / "storage"), "file_permissions_mode": 0o640},
    }
# Pulls from S3 answer 307 to a presigned URL instead of streaming through harborpy.
REGISTRY_REDIRECT_BLOBS = env_bool("HARBORPY_S3_REDIRECT", True)
# S3 multipart part size for uploads; every part but the last must be at least 5 MiB.
S3_PART_SIZE = env_int("HARBORPY_S3_PART_SIZE", 16 * 1024 * 1024, minimum=5 * 1024 * 1024)

STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(DATA_DIR / "media")},
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
    "blobs": _blob_storage,
}
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
# The portal's stylesheet and script (static/portal/), next to the site-wide templates/.
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT.mkdir(exist_ok=True)

# --- Celery -------------------------------------------------------------------------------------

if REDIS_URL:
    CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
else:
    # Embedded default: a file-based broker in the data dir, no server to install.
    _broker_dir = DATA_DIR / "celery"
    (_broker_dir / "out").mkdir(parents=True, exist_ok=True)
    (_broker_dir / "processed").mkdir(parents=True, exist_ok=True)
    (_broker_dir / "control").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "data_folder_processed": str(_broker_dir / "processed"),
        # kombu writes its exchange files to ./control unless told otherwise
        "control_folder": str(_broker_dir / "control"),
    }
CELERY_TASK_DEFAULT_QUEUE = "default"
# Schedules set at run time (audit purge, later GC and replication) live in the database.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {}
if AUDIT_RETENTION_DAYS:
    CELERY_BEAT_SCHEDULE["audit-retention"] = {
        "task": "audit.tasks.audit_retention_task",
        "schedule": crontab(minute=30, hour=3),
    }
if LDAP_ENABLED and LDAP_SYNC_INTERVAL:
    CELERY_BEAT_SCHEDULE["ldap-sync"] = {
        "task": "projects.tasks.ldap_sync_task",
        "schedule": LDAP_SYNC_INTERVAL,
    }

# --- REST framework -----------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "harborpy.drf.HarborSessionAuthentication",
        "harborpy.drf.HarborBasicAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "harborpy.drf.HarborPagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "harborpy.drf.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "harborpy API",
    "DESCRIPTION": "Harbor v2.0-compatible REST API of harborpy.",
    "VERSION": "2.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v2\.0",
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- i18n ---------------------------------------------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = env_str("HARBORPY_TIME_ZONE", "UTC")
USE_TZ = True

# --- Logging ------------------------------------------------------------------------------------

LOG_LEVEL = env_str("HARBORPY_LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
    raise ImproperlyConfigured(f"HARBORPY_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got {LOG_LEVEL!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.request": {"level": "ERROR"}},
}
