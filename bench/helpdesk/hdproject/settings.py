"""Settings of a plain django-helpdesk 2.6.1 install, for the benchmark of issue 8.

What a real install sets, following django-helpdesk's installation docs and its standalone
project (Django's contrib apps, sites, humanize, rest_framework, helpdesk mounted at the site
root, PostgreSQL): every HELPDESK_* setting is left at django-helpdesk's default except teams
mode, which needs the optional pinax-teams extra and is off in the standalone project too.
DEBUG is off, so no query log is kept outside the benchmark's own capture.
"""

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get(  # a local benchmark server: no secret worth keeping
    "HELPDESK_BENCH_SECRET_KEY", "bench-only-not-secret-django-helpdesk-comparison-2026"
)
DEBUG = False
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",  # required: the domain of the links in e-mails
    "django.contrib.humanize",  # required: elapsed-time formatting
    "helpdesk",
    "rest_framework",  # required: the ticket list's data endpoint and the API
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

ROOT_URLCONF = "hdproject.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def _database(url: str) -> dict:
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise ValueError("HELPDESK_DATABASE_URL must be a postgres:// URL")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
    }


DATABASES = {
    "default": _database(
        os.environ.get(
            "HELPDESK_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/sd_helpdesk_bench"
        )
    )
}

SITE_ID = 1
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = BASE_DIR / "var" / "media"

LOGIN_URL = "helpdesk:login"
LOGIN_REDIRECT_URL = "helpdesk:home"

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DEFAULT_FROM_EMAIL = "helpdesk@bench.test"

# The optional pinax-teams extra is not installed (as in django-helpdesk's standalone project).
HELPDESK_TEAMS_MODE_ENABLED = False
