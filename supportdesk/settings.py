"""SupportDesk settings: every value comes from the environment.

The defaults are the embedded run mode (SQLite and a file-system broker under
``var/``), so a fresh checkout runs with nothing else installed. Production sets
``DEBUG=false``, ``SECRET_KEY``, ``ALLOWED_HOSTS``, ``DATABASE_URL`` and
``REDIS_URL`` (or ``CACHE_URL`` for the cache); with those, ``manage.py check --deploy``
is clean (without either it reports an error: rate limits need a cache every process
shares).
"""

from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from redis.backoff import NoBackoff
from redis.retry import Retry

from supportdesk.env import (
    env_bool,
    env_fernet_keys,
    env_int,
    env_list,
    env_percent,
    env_positive_int,
    env_rate,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("SUPPORTDESK_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
_DEV_SECRET = "dev-only-secret-key-not-for-production-use-0123456789abcdef"  # noqa: S105
# The dev key lets tests and the embedded mode start; check --deploy flags it.
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Where links in mail point. Unset, it is the local address bin/serve listens on (PORT,
# 8000 by default), so a desk started with PORT=8101 mails links to port 8101.
SITE_URL = env_str("SITE_URL", f"http://127.0.0.1:{env_positive_int('PORT', 8000)}").rstrip("/")

INSTALLED_APPS = [
    "supportdesk.admin_site.SupportDeskAdminConfig",  # django.contrib.admin, lazier
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",  # allauth.mfa's security-key list
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    "auditlog",
    "audit",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "supportdesk.apps.SupportDeskConfig",
    "tenants",
    "sla",
    "knowledge",
    "notifications",
    "cases",
    "servicerequests",
    "portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Signs out sessions whose user lost access since signing in (tenants/sessions.py).
    "tenants.sessions.EndedSessionsMiddleware",
    "audit.middleware.AuditSourceMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "supportdesk.sessions.SessionLifetimeMiddleware",
    "supportdesk.security.NoStoreMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "supportdesk.security.AdminInlineStylesMiddleware",
    # A user who must have a second step of sign-in and has none may only set one up.
    "tenants.middleware.MfaRequiredMiddleware",
    # Staff pages show times in the staff user's own zone (tenants.staff_preferences).
    "tenants.middleware.StaffTimeZoneMiddleware",
    # Refuses an oversized upload, reading the body before the CSRF check does (that runs
    # in process_view, after every middleware's call); late, so its page has CSP and user.
    "supportdesk.uploads.UploadLimitMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # First, as django-axes asks: it refuses a locked-out sign-in before any password check.
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend (permissions included) that also accepts an email as the login.
    "allauth.account.auth_backends.AuthenticationBackend",
]

ROOT_URLCONF = "supportdesk.urls"
WSGI_APPLICATION = "supportdesk.wsgi.application"

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
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'supportdesk.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Worker, beat and web share the file: wait for a lock rather than fail at once.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    DATABASES["default"]["CONN_MAX_AGE"] = 0
# A read replica (streaming standby of the primary): only reads that may be seconds stale go
# there, inside the opt-in scope of supportdesk/db_router.py. In tests it mirrors default.
if env_str("DATABASE_REPLICA_URL", ""):
    DATABASES["replica"] = dj_database_url.parse(
        env_str("DATABASE_REPLICA_URL", ""),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    if DATABASES["replica"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["replica"].setdefault("OPTIONS", {})["connect_timeout"] = env_positive_int(
            "REPLICA_CONNECT_TIMEOUT", 2
        )
DATABASE_ROUTERS = ["supportdesk.db_router.ReplicaRouter"]
# Seconds the replica is left alone after a failed connect or query; the replay lag above
# which reads go to the primary (0: not checked) and how often a process measures it.
REPLICA_RETRY_SECONDS = env_positive_int("REPLICA_RETRY_SECONDS", 30)
REPLICA_MAX_LAG_SECONDS = env_int("REPLICA_MAX_LAG_SECONDS", 30)
REPLICA_LAG_CHECK_SECONDS = env_positive_int("REPLICA_LAG_CHECK_SECONDS", 5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Covering indexes (INCLUDE) serve the queue and dashboard on PostgreSQL; SQLite builds the
# same indexes without the extra columns, which is all the embedded mode needs.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

# Password policy for a B2B desk: Django's own validators, all offline (the common-password
# list ships with Django). Every form that sets a password shows each message.
PASSWORD_MIN_LENGTH = env_int("PASSWORD_MIN_LENGTH", 12)
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        # Email first: most people sign in with it as their user name too, and the refusal
        # names the first attribute that matches.
        "OPTIONS": {"user_attributes": ["email", "first_name", "last_name", "username"]},
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "portal:sign_in"
LOGIN_REDIRECT_URL = "portal:dashboard"
LOGOUT_REDIRECT_URL = "portal:sign_in"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24  # a reset link works for a day
# Password-reset requests per client address and per email address asked for (counted
# whether or not an account has it, so the limit tells nothing); past either, the same
# "check your email" page and no email. Kept in the shared cache.
PASSWORD_RESET_RATES = {
    "address": env_rate("PASSWORD_RESET_RATE_PER_ADDRESS", "20/hour"),
    "email": env_rate("PASSWORD_RESET_RATE_PER_EMAIL", "3/hour"),
}

# Sessions (supportdesk.sessions): staff sessions end after STAFF_SESSION_IDLE_MINUTES
# without a request and STAFF_SESSION_MAX_HOURS after sign-in; customers' and partners'
# after the PORTAL_ ones. The session cookie lasts no longer than the longest of them.
STAFF_SESSION_IDLE_MINUTES = env_positive_int("STAFF_SESSION_IDLE_MINUTES", 30)
STAFF_SESSION_MAX_HOURS = env_positive_int("STAFF_SESSION_MAX_HOURS", 12)
PORTAL_SESSION_IDLE_MINUTES = env_positive_int("PORTAL_SESSION_IDLE_MINUTES", 8 * 60)
PORTAL_SESSION_MAX_HOURS = env_positive_int("PORTAL_SESSION_MAX_HOURS", 7 * 24)
SESSION_COOKIE_AGE = max(STAFF_SESSION_MAX_HOURS, PORTAL_SESSION_MAX_HOURS) * 60 * 60

# A new contact's emailed link to choose a password works this many days (tenants/invitations.py).
CONTACT_INVITATION_DAYS = env_int("CONTACT_INVITATION_DAYS", 7)
if not 1 <= CONTACT_INVITATION_DAYS <= 30:
    raise ImproperlyConfigured("CONTACT_INVITATION_DAYS must be from 1 to 30 days.")

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [path for path in [BASE_DIR / "static"] if path.is_dir()]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# Uploads: what a case attachment may be (checked in cases.services). A request is refused
# by its Content-Length and again while its files stream in (supportdesk.uploads), before
# any of it is stored; the plan's storage quotas are checked when files are stored.
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 25 * 1024 * 1024)
ATTACHMENT_MAX_FILES = env_int("ATTACHMENT_MAX_FILES", 10)
ATTACHMENT_MAX_REQUEST_BYTES = env_int("ATTACHMENT_MAX_REQUEST_BYTES", 50 * 1024 * 1024)
ATTACHMENT_ALLOWED_EXTENSIONS = env_list(
    "ATTACHMENT_ALLOWED_EXTENSIONS",
    [
        "png",
        "jpg",
        "jpeg",
        "gif",
        "webp",
        "pdf",
        "txt",
        "log",
        "csv",
        "json",
        "xml",
        "zip",
        "gz",
        "har",
        "mp4",
        "webm",
        "mov",
        "docx",
        "xlsx",
        "eml",
    ],
)
# The staff queue highlights a case as at risk when its next due time is this close.
SLA_AT_RISK_MINUTES = env_int("SLA_AT_RISK_MINUTES", 120)

DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# SLA alerts (cases.tasks.send_sla_alerts): the owner is reminded of a due update when
# this share of its interval is used, and owner and triage lead are warned that a target
# is at risk at the second share; the breach itself follows at the due time.
SLA_UPDATE_REMINDER_PERCENT = env_percent("SLA_UPDATE_REMINDER_PERCENT", 50)
SLA_AT_RISK_PERCENT = env_percent("SLA_AT_RISK_PERCENT", 75)


# Email. Everything the desk sends, Django's own mail included, waits in the
# notifications outbox (EMAIL_BACKEND) until a worker hands it to the real transport,
# EMAIL_DELIVERY_BACKEND; a mail-server outage delays mail but loses none.
_OUTBOX_BACKEND = "notifications.backends.OutboxEmailBackend"
EMAIL_BACKEND = env_str("EMAIL_BACKEND", _OUTBOX_BACKEND)
EMAIL_DELIVERY_BACKEND = env_str(
    "EMAIL_DELIVERY_BACKEND",
    "notifications.backends.DevMailFileBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
# Dev mail (DEBUG): one .eml file per message here, never to a log (it holds reset links).
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
if EMAIL_DELIVERY_BACKEND == _OUTBOX_BACKEND:
    raise ImproperlyConfigured(
        "EMAIL_DELIVERY_BACKEND must be a real transport (e.g. the SMTP backend), "
        "not the outbox it delivers from."
    )
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "SupportDesk <support@supportdesk.local>")
# The address customers write to; replies come back to it plus-addressed with a case token.
SUPPORT_EMAIL_ADDRESS = env_str("SUPPORT_EMAIL_ADDRESS", "")
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 48)
OUTBOX_RETRY_BASE_SECONDS = env_int("OUTBOX_RETRY_BASE_SECONDS", 60)
OUTBOX_RETRY_MAX_SECONDS = env_int("OUTBOX_RETRY_MAX_SECONDS", 3600)
# A worker's claim on a message it is sending; longer than EMAIL_TIMEOUT by far.
OUTBOX_SEND_LEASE_SECONDS = env_int("OUTBOX_SEND_LEASE_SECONDS", 600)
# A message whose SMTP DATA began but whose answer was never recorded (the worker died
# in between) is `sent_unknown`: the server may have it. The sweep sends it again (marked
# possible_duplicate, same Message-ID) this long after DATA began; 0 = never (a manager
# decides in the outbox admin: "mark delivered" or "send again now").
OUTBOX_SENT_UNKNOWN_RESEND_AFTER = env_int("OUTBOX_SENT_UNKNOWN_RESEND_AFTER", 1800)
# Outbound webhooks (notifications/webhooks.py): retried with backoff like the outbox's
# mail, given up after WEBHOOK_MAX_ATTEMPTS; an endpoint failing WEBHOOK_DISABLE_AFTER
# times in a row is disabled and its owner emailed. Plain http only to the loopback
# address, and only where WEBHOOK_ALLOW_LOOPBACK_HTTP (DEBUG by default) allows it.
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10)
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 8)
WEBHOOK_RETRY_BASE_SECONDS = env_int("WEBHOOK_RETRY_BASE_SECONDS", 60)
WEBHOOK_RETRY_MAX_SECONDS = env_int("WEBHOOK_RETRY_MAX_SECONDS", 3600)
WEBHOOK_DISABLE_AFTER = env_int("WEBHOOK_DISABLE_AFTER", 15)
WEBHOOK_SEND_LEASE_SECONDS = env_int("WEBHOOK_SEND_LEASE_SECONDS", 120)
WEBHOOK_ALLOW_LOOPBACK_HTTP = env_bool("WEBHOOK_ALLOW_LOOPBACK_HTTP", DEBUG)
# The shared secret of each development tracker's webhook (knowledge/trackers.py); the
# receiver /api/v1/tracker-events/<tracker>/ of a tracker without one is closed (404).
TRACKER_WEBHOOK_SECRETS = {
    kind: secret
    for kind in ("github", "gitlab", "jira", "azure")
    if (secret := env_str(f"TRACKER_SECRET_{kind.upper()}", ""))
}
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Encryption at rest (supportdesk/encryption.py) of outbox messages, identity providers'
# client secrets and second-step secrets: the first key encrypts, every key decrypts
# (rotation). Empty: keys derived from SECRET_KEY and SECRET_KEY_FALLBACKS.
ENCRYPTION_KEYS = env_fernet_keys("ENCRYPTION_KEYS")

# Inbound mail: IMAP polling when INBOUND_IMAP_HOST is set, and/or an MTA pipe into
# `manage.py receive_email`. Both store the raw message before acting on it.
INBOUND_IMAP_HOST = env_str("INBOUND_IMAP_HOST", "")
INBOUND_IMAP_PORT = env_int("INBOUND_IMAP_PORT", 993)
INBOUND_IMAP_SSL = env_bool("INBOUND_IMAP_SSL", True)
INBOUND_IMAP_USER = env_str("INBOUND_IMAP_USER", "")
INBOUND_IMAP_PASSWORD = env_str("INBOUND_IMAP_PASSWORD", "")
INBOUND_IMAP_FOLDER = env_str("INBOUND_IMAP_FOLDER", "INBOX")
INBOUND_IMAP_ARCHIVE_FOLDER = env_str("INBOUND_IMAP_ARCHIVE_FOLDER", "")
INBOUND_MAX_BYTES = env_int("INBOUND_MAX_BYTES", 40 * 1024 * 1024)
# Sender authentication (notifications.inbound.authentication): the authserv-ids of our
# own MTA whose Authentication-Results headers are trusted; optionally the desk's own DKIM
# check; and whether mail that is not authenticated is held for staff instead of acting as
# its sender (always on in production: a From header alone proves nothing).
INBOUND_AUTHSERV_IDS = env_list("INBOUND_AUTHSERV_IDS", [])
INBOUND_VERIFY_DKIM = env_bool("INBOUND_VERIFY_DKIM", False)
INBOUND_DNS_TXT_LOOKUP = env_str(
    "INBOUND_DNS_TXT_LOOKUP", "notifications.inbound.authentication.dns_txt"
)
INBOUND_REQUIRE_DMARC = env_bool("INBOUND_REQUIRE_DMARC", not DEBUG)
# Mail carries no category; new cases by mail get this one (and the plan's lowest priority).
INBOUND_CASE_CATEGORY = env_str("INBOUND_CASE_CATEGORY", "functionality_issue")

# Celery: Redis in production; a file-system broker (shared by separate worker and
# beat processes, unlike memory://) in the embedded mode.
REDIS_URL = env_str("REDIS_URL", "")
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "filesystem://")
# An unreachable Redis (cache or broker) must cost a request at most about a second
# (issue 20): short socket timeouts, one quick retry, and nothing waits longer. A
# connection refused fails at once; these bound a host that does not answer at all.
REDIS_CONNECT_TIMEOUT = 0.5
REDIS_SOCKET_TIMEOUT = 1.0
REDIS_BROKER_TRANSPORT_OPTIONS = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
    "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
    "socket_timeout": REDIS_SOCKET_TIMEOUT,
}
if CELERY_BROKER_URL.startswith("filesystem://"):
    # Every file of the broker lives under var/broker: the queues, and the exchange tables
    # kombu otherwise writes to control/ in the working directory.
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    # Publishing (the web's on-commit dispatch, beat) gives up after one quick retry
    # instead of kombu's default of retrying for broker_connection_timeout with 2 s
    # pauses (6 s per request while Redis was down): the rows stay pending and the
    # sweeps deliver them when the broker is back. Workers reconnect under their own
    # setting (broker_connection_max_retries).
    CELERY_BROKER_TRANSPORT_OPTIONS = dict(REDIS_BROKER_TRANSPORT_OPTIONS)
CELERY_BROKER_CONNECTION_TIMEOUT = 1.0
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Any publish that asks for retries (the dispatchers pass retry=False) is bounded too.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
# The one beat's schedule. Every entry runs a sweep that catches up whatever it missed,
# so a message that waited longer than one interval is dropped (`expires`) rather than
# piling up behind a stalled worker. AUTOMATION_INTERVAL (seconds) is short in tests.
AUTOMATION_INTERVAL = env_int("AUTOMATION_INTERVAL", 60)
if AUTOMATION_INTERVAL < 1:
    raise ImproperlyConfigured(f"AUTOMATION_INTERVAL must be at least 1, got {AUTOMATION_INTERVAL}")
_CASE_SWEEPS = (
    "send_sla_alerts",
    "send_follow_ups",
    "close_unanswered_cases",
    "send_solution_reminders",
    "close_silent_solutions",
    "refresh_stale_clocks",
)
CELERY_BEAT_SCHEDULE: dict = {
    **{
        name: {
            "task": f"cases.tasks.{name}",
            "schedule": float(AUTOMATION_INTERVAL),
            "options": {"expires": float(AUTOMATION_INTERVAL)},
        }
        for name in _CASE_SWEEPS
    },
    "notifications-send-pending": {
        "task": "notifications.tasks.send_pending_notifications",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "notifications-send-webhooks": {
        "task": "notifications.tasks.send_pending_webhooks",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "cases-poll-mailbox": {
        "task": "cases.tasks.poll_mailbox",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "cases-refresh-sla-rollups": {
        "task": "cases.tasks.refresh_sla_rollups",
        "schedule": 600.0,
        "options": {"expires": 590},
    },
    "cases-rise-customer-escalations": {
        "task": "cases.tasks.rise_customer_escalations",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# The cache holds rate-limit counters (API throttles, password resets), so every process
# must share it: Redis when CACHE_URL (by default REDIS_URL) is set (required in
# production, a deploy check says so); otherwise files under var/cache, which every
# process on this machine shares and which need no set-up step (the folder is made on
# first write). A file cache rather than the database cache: no table to create, no writes
# competing for SQLite's single write lock with the worker and beat, and no counter rolled
# back with a failed transaction. The Redis cache fails open (supportdesk/cache_guard.py):
# while it is unreachable, limits are not counted rather than every request failing.
CACHE_URL = env_str("CACHE_URL", REDIS_URL)
# Passed to redis-py's connection pool. One retry at once: a pooled connection that Redis
# closed (a restart) is replaced without the caller seeing it.
REDIS_CACHE_OPTIONS = {
    "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
    "socket_timeout": REDIS_SOCKET_TIMEOUT,
    "retry": Retry(NoBackoff(), 1),
}
if CACHE_URL:
    _cache: dict = {
        "BACKEND": "supportdesk.cache_guard.FailOpenRedisCache",
        "LOCATION": CACHE_URL,
        "OPTIONS": REDIS_CACHE_OPTIONS,
    }
else:
    _cache = {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(VAR_DIR / "cache"),
        # Past MAX_ENTRIES the file cache drops a third of its entries at random, limit
        # counters included: keep the bound far above what one machine's traffic makes.
        "OPTIONS": {"MAX_ENTRIES": 20000},
    }
CACHES = {"default": _cache}
# Sessions are in the database (Django's default, said here): never lost with the cache.
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# The REST API under /api/v1/ (supportdesk/api/ holds what its parts share).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tenants.api_access.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["tenants.api_access.HasDeskAccess"],
    "DEFAULT_THROTTLE_CLASSES": [
        "supportdesk.api.throttles.TokenRateThrottle",
        "supportdesk.api.throttles.AddressRateThrottle",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "supportdesk.api.schema.ApiAutoSchema",
    # No OPTIONS self-description: the OpenAPI schema is the one description.
    "DEFAULT_METADATA_CLASS": None,
    "EXCEPTION_HANDLER": "supportdesk.api.errors.exception_handler",
    "NUM_PROXIES": env_int("API_NUM_PROXIES", 0),
}
# "<requests>/<second|minute|hour|day>" per API token (or signed-in user), and per
# client address across everyone behind it.
API_THROTTLE_RATES = {
    "token": env_rate("API_RATE_PER_TOKEN", "240/minute"),
    "address": env_rate("API_RATE_PER_ADDRESS", "600/minute"),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "SupportDesk API",
    "VERSION": "1.0.0",
    # The schema's introduction: authentication, errors, preconditions, pagination.
    "DESCRIPTION": (BASE_DIR / "docs" / "api.md").read_text(encoding="utf-8"),
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "CaseState": "cases.models.State",
        "EventKind": "cases.models.CaseEvent.Kind",
        "EnvironmentEnum": "tenants.api.ENVIRONMENT_KINDS",
        "ServiceRequestState": "servicerequests.models.State",
        "RequestEventKind": "servicerequests.models.RequestEvent.Kind",
        "RequestTypeCode": "servicerequests.models.handler_choices",
        "StaffCloseReason": "cases.api.serializers.STAFF_CLOSE_REASON_CHOICES",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "supportdesk.api.schema.forbid_unknown_request_fields",
    ],
    # OpenAPI 3.1, for its `webhooks` section: the events SupportDesk POSTs to endpoints.
    "OAS_VERSION": "3.1.0",
    "WEBHOOKS": [
        f"notifications.webhook_schema.{name}"
        for name in (
            "CASE_CREATED",
            "CASE_COMMENTED",
            "CASE_STATE_CHANGED",
            "CASE_SLA_AT_RISK",
            "CASE_SLA_BREACHED",
            "CASE_ESCALATED",
            "REQUEST_STATE_CHANGED",
            "WEBHOOK_TEST",
        )
    ],
    "SWAGGER_UI_DIST": "SIDECAR",
    # Without deep links an operation's path is text, not a link inside the button that
    # opens it (a control nested in a control, which keyboards and screen readers trip on).
    "SWAGGER_UI_SETTINGS": {"deepLinking": False},
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Transport security: on unless DEBUG; HTTPS=false turns it off behind a plain-HTTP
# test host.
_HTTPS = env_bool("HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = _HTTPS
SESSION_COOKIE_SECURE = _HTTPS
CSRF_COOKIE_SECURE = _HTTPS
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if _HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _HTTPS
SECURE_HSTS_PRELOAD = _HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# Content-Security-Policy: the portal and the admin load scripts, styles, images and
# fonts from this origin only, with no inline script or style; htmx talks to this origin.
# The API's Swagger UI page relaxes styles and images (supportdesk/api_urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Sign-in throttling (django-axes) on the portal's and the admin's sign-in: after
# AXES_FAILURE_LIMIT failed attempts for one user name from one address, that pair is
# locked out for AXES_COOLOFF_MINUTES; a successful sign-in resets the pair's count. After
# AXES_ADDRESS_FAILURE_LIMIT failures from one address, whatever the user names, the whole
# address is (supportdesk.sign_in_limits.SignInLockoutHandler: axes compares every
# lockout parameter with the one AXES_FAILURE_LIMIT, so a per-address entry there would
# lock a whole office out after a single user's five typos).
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_ADDRESS_FAILURE_LIMIT = env_int("AXES_ADDRESS_FAILURE_LIMIT", 20)
if AXES_ADDRESS_FAILURE_LIMIT <= AXES_FAILURE_LIMIT:
    raise ImproperlyConfigured(
        "AXES_ADDRESS_FAILURE_LIMIT must be higher than AXES_FAILURE_LIMIT, got "
        f"{AXES_ADDRESS_FAILURE_LIMIT} and {AXES_FAILURE_LIMIT}"
    )
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "supportdesk.sign_in_limits.SignInLockoutHandler"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "supportdesk.security.locked_out"
AXES_IPWARE_PROXY_COUNT = env_int("API_NUM_PROXIES", 0)
AXES_VERBOSE = False

# Audit log (django-auditlog, with the entry model of the `audit` app: see audit/tracked.py
# for what is followed and hidden). Models register in code, never from settings.
AUDITLOG_LOGENTRY_MODEL = "audit.AuditEntry"
AUDITLOG_MASK_CALLABLE = "audit.redaction.conceal"
AUDITLOG_DISABLE_ON_RAW_SAVE = True  # fixtures and loaddata are not desk changes
# django-auditlog's own entry model is swapped out; its migrations would still create its
# table, unused, and one that test flushes (TRUNCATE) trip over on PostgreSQL.
MIGRATION_MODULES = {"auditlog": None}
# Sign-in runs through django-allauth (its `account` flow and its `mfa` stage) on the
# portal's /sign-in/ and the admin's /admin/login/ alike, so no sign-in skips the second
# step. People sign in with their email or, for staff, their user name. Nobody signs up:
# contacts and staff are created by the desk. Passwords are reset and changed by Django's
# own views (portal/urls.py); supportdesk/account_urls.py points allauth's there.
ACCOUNT_ADAPTER = "supportdesk.accounts.AccountAdapter"
ACCOUNT_FORMS = {"login": "portal.forms.SignInForm"}
ACCOUNT_LOGIN_METHODS = {"email", "username"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_SESSION_REMEMBER = True
ACCOUNT_LOGOUT_REDIRECT_URL = LOGOUT_REDIRECT_URL
# django-axes owns the password lockout (AXES_* above); allauth's own limits stay on for
# the rest, its "login_failed" counter now only for second-step codes (5 per user in five
# minutes, 10 a minute per address).
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/300s/key"}
# allauth's per-address limits see the client behind the same proxies as the API and axes.
ALLAUTH_TRUSTED_PROXY_COUNT = AXES_IPWARE_PROXY_COUNT

# Multi-factor sign-in (allauth.mfa): an authenticator app, security keys, recovery codes.
# Required for staff and for contacts of tenants that ask for it (tenants/mfa.py). Security
# keys belong to SITE_URL's host name, which must be the host people use (https, or
# http://localhost in development).
MFA_ADAPTER = "tenants.mfa.MfaAdapter"
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_TOTP_ISSUER = env_str("MFA_TOTP_ISSUER", "SupportDesk")
# The desk records people's addresses itself (allauth's email verification is off).
MFA_ALLOW_UNVERIFIED_EMAIL = True
# A second step added or removed, or new recovery codes, is mailed to the account's owner
# (with the address and browser it came from), so a change they did not make is noticed.
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "SupportDesk: "

# Single sign-on through OpenID Connect (django-allauth's socialaccount; portal/sso.py and
# tenants/sso.py). Staff sign in through the vendor's identity provider when
# STAFF_OIDC_ISSUER is set; it signs in only existing active staff accounts whose email,
# verified by the provider, is in STAFF_OIDC_EMAIL_DOMAINS. Customers' providers are set
# per tenant in the admin. The desk's own MFA still applies to staff who came by SSO,
# unless STAFF_OIDC_TRUST_IDP_MFA is on and the ID token's amr (or acr) shows a second
# factor from STAFF_OIDC_MFA_AMR (or STAFF_OIDC_MFA_ACR).
STAFF_OIDC_ISSUER = env_str("STAFF_OIDC_ISSUER", "").strip().rstrip("/")
STAFF_OIDC_CLIENT_ID = env_str("STAFF_OIDC_CLIENT_ID", "")
STAFF_OIDC_CLIENT_SECRET = env_str("STAFF_OIDC_CLIENT_SECRET", "")
STAFF_OIDC_NAME = env_str("STAFF_OIDC_NAME", "company single sign-on")
STAFF_OIDC_EMAIL_DOMAINS = [d.lower() for d in env_list("STAFF_OIDC_EMAIL_DOMAINS", [])]
STAFF_OIDC_TRUST_IDP_MFA = env_bool("STAFF_OIDC_TRUST_IDP_MFA", False)
STAFF_OIDC_MFA_AMR = env_list("STAFF_OIDC_MFA_AMR", ["mfa", "otp", "hwk", "swk", "sc"])
STAFF_OIDC_MFA_ACR = env_list("STAFF_OIDC_MFA_ACR", [])
if STAFF_OIDC_ISSUER and not (
    STAFF_OIDC_CLIENT_ID and STAFF_OIDC_CLIENT_SECRET and STAFF_OIDC_EMAIL_DOMAINS
):
    raise ImproperlyConfigured(
        "STAFF_OIDC_ISSUER needs STAFF_OIDC_CLIENT_ID, STAFF_OIDC_CLIENT_SECRET and "
        "STAFF_OIDC_EMAIL_DOMAINS (the email domains the staff provider may vouch for)"
    )
if STAFF_OIDC_ISSUER:
    _staff_idp = urlsplit(STAFF_OIDC_ISSUER)
    if _staff_idp.scheme != "https" and _staff_idp.hostname not in ("localhost", "127.0.0.1"):
        raise ImproperlyConfigured(
            f"STAFF_OIDC_ISSUER must be an https:// URL, got {STAFF_OIDC_ISSUER!r}"
        )
    # The staff SSO button's form is redirected to the provider; form-action governs that.
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"].append(
        f"{_staff_idp.scheme}://{_staff_idp.netloc}"
    )
SOCIALACCOUNT_ADAPTER = "portal.sso.SsoAccountAdapter"
# No provider's token is kept, no account is made or linked by SSO: see portal/sso.py.
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_AUTO_SIGNUP = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_REQUESTS_TIMEOUT = env_int("SSO_REQUESTS_TIMEOUT", 10)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Every line is redacted (supportdesk/redaction.py): no link or token reaches a log.
    "formatters": {
        "plain": {
            "()": "supportdesk.redaction.RedactingFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
