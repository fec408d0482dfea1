from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache

from supportdesk.celery import app as celery_app
from tenants.models import LetterOfAuthorization, Partner, Tenant
from tenants.roles import Role
from tests.factories import (
    ContactFactory,
    LetterFactory,
    PartnerFactory,
    PartnerMemberFactory,
    TenantFactory,
    UserFactory,
)
from tests.inbound_mail import MTA
from tests.mailserver import SmtpSink

# Tests never publish to a real broker: what on-commit callbacks enqueue goes to kombu's
# in-memory transport, and a test runs the work by calling the task function itself.
celery_app.conf.broker_url = "memory://"


@pytest.fixture(autouse=True)
def _plain_http_and_private_media(settings, tmp_path) -> None:
    """Tests talk plain HTTP to the test client and store uploads in a throwaway folder."""
    settings.SECURE_SSL_REDIRECT = False
    settings.MEDIA_ROOT = tmp_path / "media"
    # Outbox deliveries land in django.core.mail.outbox (pytest-django empties it per test).
    settings.EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Inbound mail is authenticated by the Authentication-Results of this MTA only.
    settings.INBOUND_AUTHSERV_IDS = [MTA]
    # A deliberately slow hasher protects real passwords; tests only need a fast one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The test client's login() calls authenticate() without a request, which django-axes
    # refuses; sign-in throttling has its own tests (tests/test_security.py) that enable it.
    settings.AXES_ENABLED = False
    # Production serves collected, hashed static files; tests render without collecting.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Rate-limit counters (allauth's, the reset limit's, the API's) live in the shared
    cache (files under var/cache, or Redis), which outlives a test and a run: each test
    starts with full budgets."""
    cache.clear()


@pytest.fixture(scope="module")
def live_server() -> Iterator[object]:
    """pytest-django's live server, started over plain HTTP: the security middleware
    reads its settings when the server's handler is built, so they are set first."""
    from django.test.utils import override_settings
    from pytest_django.live_server_helper import LiveServer

    plain_http = override_settings(
        SECURE_SSL_REDIRECT=False,
        SECURE_HSTS_SECONDS=0,
        SESSION_COOKIE_SECURE=False,
        CSRF_COOKIE_SECURE=False,
    )
    with plain_http:
        server = LiveServer("localhost")
        yield server
        server.stop()


@dataclass
class Cast:
    """The standard people of an access test."""

    tenant_a: Tenant
    tenant_b: Tenant
    contact_a: AbstractBaseUser
    contact_b: AbstractBaseUser
    partner: Partner
    partner_with_letter: AbstractBaseUser
    partner_without_letter: AbstractBaseUser
    letter: LetterOfAuthorization
    engineer: AbstractBaseUser
    triage_lead: AbstractBaseUser
    manager: AbstractBaseUser


@pytest.fixture
def cast(db) -> Cast:
    tenant_a = TenantFactory(name="Acme Corp", reference_prefix="ACME")
    tenant_b = TenantFactory(name="Globex", reference_prefix="GLOBEX")
    contact_a = ContactFactory(tenant=tenant_a, user=UserFactory(username="ann@acme.test")).user
    contact_b = ContactFactory(tenant=tenant_b, user=UserFactory(username="bob@globex.test")).user
    partner = PartnerFactory(name="Initech Consulting")
    with_letter = PartnerMemberFactory(
        partner=partner, user=UserFactory(username="pat@initech.test")
    ).user
    other_partner = PartnerFactory(name="Hooli Services")
    without_letter = PartnerMemberFactory(
        partner=other_partner, user=UserFactory(username="hal@hooli.test")
    ).user
    letter = LetterFactory(partner=partner, tenant=tenant_a)
    return Cast(
        tenant_a=tenant_a,
        tenant_b=tenant_b,
        contact_a=contact_a,
        contact_b=contact_b,
        partner=partner,
        partner_with_letter=with_letter,
        partner_without_letter=without_letter,
        letter=letter,
        engineer=UserFactory(username="eve@support.test", roles=[Role.ENGINEER]),
        triage_lead=UserFactory(username="tom@support.test", roles=[Role.TRIAGE_LEAD]),
        manager=UserFactory(username="meg@support.test", roles=[Role.MANAGER]),
    )


@pytest.fixture
def smtp_sink(settings):
    """A real SMTP server on 127.0.0.1 that the outbox delivers to."""
    sink = SmtpSink().start()
    settings.EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = sink.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    yield sink
    sink.stop()
