"""Redis down (issue 20): with the cache and the broker both unreachable, the API, the
portal, the staff admin and sign-in answer and do their work; limits are not counted
meanwhile, and the mail written then is delivered once the broker is back."""

import collections
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from kombu import pools as kombu_pools
from rest_framework.test import APIClient

from cases import presence, services
from cases.models import Case, Comment
from notifications.models import Notification
from notifications.tasks import send_notification, send_pending_notifications
from supportdesk import cache_guard
from supportdesk.celery import app as celery_app
from tests.api.test_cases import NEW_CASE
from tests.cases.helpers import file_case
from tests.factories import PASSWORD, api_token_for
from tests.mfa import totp_code, totp_secret
from tests.portal.test_case_new import intake

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
# Port 1 on loopback: nothing listens, so every connection is refused at once, and the
# shared Redis server is never touched.
DEAD_REDIS = "redis://127.0.0.1:1/0"


def _use_broker(url: str, transport_options: dict) -> None:
    celery_app.conf.broker_url = url
    celery_app.conf.broker_transport_options = transport_options
    celery_app.pool.force_close_all()
    celery_app._pool = None


def _cache_at(url: str) -> dict:
    """CACHES as production builds them (settings.py), at another address."""
    return {
        "default": {
            "BACKEND": "supportdesk.cache_guard.FailOpenRedisCache",
            "LOCATION": url,
            "OPTIONS": django_settings.REDIS_CACHE_OPTIONS,
        }
    }


@pytest.fixture
def broker_at(monkeypatch):
    """`broker_at(url)`: publish to that broker with production's transport options;
    afterwards back to the in-memory broker the other tests use."""
    original = dict(celery_app.conf.broker_transport_options or {})

    def use(url: str) -> None:
        _use_broker(url, dict(django_settings.REDIS_BROKER_TRANSPORT_OPTIONS))

    yield use
    _use_broker("memory://", original)
    # kombu keeps pools process-wide: forget them so later tests publish through fresh ones.
    kombu_pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def publishes(monkeypatch) -> list[int]:
    """Every attempt to hand an outbox row to the broker (it still goes to the broker)."""
    attempts: list[int] = []
    real = send_notification.apply_async

    def counted(args, **options):
        attempts.append(args[0])
        return real(args, **options)

    monkeypatch.setattr(send_notification, "apply_async", counted)
    return attempts


@pytest.fixture
def redis_down(settings, broker_at, monkeypatch):
    """Cache and broker both at a port where nothing listens."""
    # The guard's "failed a moment ago" state is per process: no later test inherits it.
    monkeypatch.setattr(cache_guard, "_down_until", 0.0)
    settings.CACHES = _cache_at(DEAD_REDIS)
    broker_at(DEAD_REDIS)


def test_publishing_gives_up_after_one_quick_retry_with_a_short_connect_timeout():
    """What bounds a request's wait on a dead broker: kombu's defaults retried for 4 s
    with 2 s pauses (about 6 s per filing in the chaos run)."""
    options = django_settings.REDIS_BROKER_TRANSPORT_OPTIONS
    assert options["max_retries"] <= 1
    assert options["interval_start"] == 0
    assert options["socket_connect_timeout"] <= 1
    assert django_settings.CELERY_BROKER_CONNECTION_TIMEOUT <= 1
    assert django_settings.CELERY_TASK_PUBLISH_RETRY_POLICY["max_retries"] <= 1
    assert django_settings.REDIS_CACHE_OPTIONS["socket_connect_timeout"] <= 1
    assert django_settings.REDIS_CACHE_OPTIONS["socket_timeout"] <= 1


def test_the_api_lists_and_files_cases_while_redis_is_down(
    cast, redis_down, publishes, django_capture_on_commit_callbacks
):
    before = cache_guard.failure_count()
    client = APIClient()
    _, secret = api_token_for(cast.contact_a)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")

    assert client.get(reverse("api:cases")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("api:cases"), NEW_CASE, format="json")

    assert response.status_code == 201, response.json()
    case = Case.objects.get(summary=NEW_CASE["summary"])
    assert response.json()["reference"] == case.reference
    # The throttles found no counters and recorded none: the failures were counted.
    assert cache_guard.failure_count() > before
    # Each pending row was offered to the broker once; the first refusal ends the try.
    assert len(publishes) <= 1
    assert Notification.objects.filter(status=Notification.Status.PENDING).exists()


def test_the_portal_files_a_case_while_redis_is_down_and_its_mail_goes_when_it_is_back(
    cast, client, redis_down, broker_at, publishes, django_capture_on_commit_callbacks
):
    client.force_login(cast.contact_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("portal:case_new"), intake(summary="Filed while Redis is down")
        )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert Case.objects.filter(summary="Filed while Redis is down").exists()
    pending = Notification.objects.filter(status=Notification.Status.PENDING)
    assert pending.exists()
    assert len(publishes) == 1  # one attempt per commit, not one per row or per retry
    assert mail.outbox == []

    broker_at("memory://")  # Redis is back; the beat's sweep runs
    send_pending_notifications()

    rows = Notification.objects.all()
    assert set(rows.values_list("status", flat=True)) == {Notification.Status.SENT}
    sent = collections.Counter(message.extra_headers["Message-ID"] for message in mail.outbox)
    assert sent == collections.Counter(rows.values_list("message_id", flat=True))


def test_staff_work_the_queue_and_a_case_while_redis_is_down(
    cast, client, redis_down, django_capture_on_commit_callbacks
):
    case = file_case(cast)
    services.case_assign(case_id=case.id, actor=cast.triage_lead, owner=cast.engineer)
    client.force_login(cast.engineer)

    queue = client.get(reverse("admin:cases_case_changelist"))
    assert queue.status_code == 200
    assert case.reference in queue.content.decode()
    page = client.get(reverse("admin:cases_case_change", args=[case.id]))
    assert page.status_code == 200
    # Presence is unknown, not "nobody else here".
    assert presence.presence_list(case, cast.engineer) is None

    case.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        reply = client.post(
            reverse("admin:cases_case_act", args=[case.id, "reply"]),
            {
                "reply-visibility": "public",
                "reply-body": "Looking at it while Redis is down.",
                "reply-expected_version": case.version,
            },
        )
    assert reply.status_code == 302
    assert Comment.objects.filter(case=case, body="Looking at it while Redis is down.").exists()


def test_contacts_and_staff_sign_in_and_ask_for_a_reset_while_redis_is_down(
    cast, settings, redis_down
):
    settings.AXES_ENABLED = True  # django-axes counts in the database, whatever the cache

    contact = Client()
    response = contact.post(
        reverse("portal:sign_in"), {"username": cast.contact_a.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert contact.session.get("_auth_user_id") == str(cast.contact_a.pk)

    staff = Client()
    response = staff.post(
        reverse("admin:login"), {"username": cast.engineer.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.url == reverse("mfa_authenticate")
    # allauth marks a used code in the cache; unrecorded, the code is still accepted.
    response = staff.post(
        reverse("mfa_authenticate"), {"code": totp_code(totp_secret(cast.engineer))}
    )
    assert response.status_code == 302
    assert staff.session.get("_auth_user_id") == str(cast.engineer.pk)
    assert staff.get(reverse("admin:index")).status_code == 200

    reset = Client().post(reverse("portal:password_reset"), {"email": cast.contact_b.email})
    assert reset.status_code == 302


def test_a_cache_url_apart_from_redis_url_is_the_cache_and_the_broker_stays(tmp_path):
    script = (
        "from django.conf import settings\n"
        "print(settings.CACHES['default']['LOCATION'], settings.CELERY_BROKER_URL)\n"
    )
    env = {
        "PATH": os.environ["PATH"],
        "DEBUG": "true",
        "SUPPORTDESK_VAR_DIR": str(tmp_path),
        "REDIS_URL": "redis://broker.example:6379/0",
        "CACHE_URL": "redis://cache.example:6379/1",
    }
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    # `shell` prints what it imported first; the script's line is the last.
    assert result.stdout.strip().splitlines()[-1].split() == [
        "redis://cache.example:6379/1",
        "redis://broker.example:6379/0",
    ]


@pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="needs a running Redis (REDIS_URL), as CI has"
)
def test_with_redis_running_but_the_cache_unreachable_the_api_answers_and_mail_is_queued(
    cast, settings, broker_at, monkeypatch, publishes, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(cache_guard, "_down_until", 0.0)
    settings.CACHES = _cache_at(DEAD_REDIS)
    broker_at(os.environ["REDIS_URL"])
    client = APIClient()
    _, secret = api_token_for(cast.contact_a)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")

    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("api:cases"), NEW_CASE, format="json")
        assert response.status_code == 201, response.json()
        listed = client.get(reverse("api:cases")).json()["results"]
        assert listed[0]["reference"] == response.json()["reference"]
        # The broker took every row: the tasks are queued in the real Redis.
        ids = Notification.objects.values_list("id", flat=True)
        assert sorted(publishes) == sorted(ids)
        assert ids
    finally:
        with celery_app.connection_for_write() as connection:
            connection.default_channel.queue_purge(celery_app.conf.task_default_queue)
    assert cache.get("anything", "missed") == "missed"


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


def test_the_guard_answers_a_miss_then_leaves_redis_alone_for_a_moment_and_counts(
    settings, monkeypatch
):
    clock = _Clock()
    monkeypatch.setattr(cache_guard, "time", clock)
    monkeypatch.setattr(cache_guard, "_down_until", 0.0)
    settings.CACHES = _cache_at(DEAD_REDIS)
    tries: list[str] = []
    real_get = cache_guard.RedisCacheClient.get

    def get(self, key, default):
        tries.append(key)
        return real_get(self, key, default)

    monkeypatch.setattr(cache_guard.RedisCacheClient, "get", get)
    before = cache_guard.failure_count()

    assert cache.get("a", "miss") == "miss"
    assert cache.add("lock", 1) is True  # a lock that cannot be kept locks nobody out
    assert cache.get_many(["a", "b"]) == {}
    with pytest.raises(ValueError, match="not found"):
        cache.incr("a")
    assert len(tries) == 1  # after the failure, Redis is not asked again at once
    assert cache_guard.failure_count() - before == 4

    clock.now += cache_guard.RETRY_AFTER_SECONDS
    assert cache.get("a", "miss") == "miss"
    assert len(tries) == 2  # a moment later it is tried again


def test_inside_cache_errors_raised_an_unreachable_cache_raises(settings, monkeypatch):
    monkeypatch.setattr(cache_guard, "_down_until", 0.0)
    settings.CACHES = _cache_at(DEAD_REDIS)
    with cache_guard.cache_errors_raised(), pytest.raises(cache_guard.RedisConnectionError):
        cache.get("a")
    # ...and so does it while the guard is skipping Redis after that failure.
    with cache_guard.cache_errors_raised(), pytest.raises(cache_guard.RedisConnectionError):
        cache.get("a")
    assert cache.get("a", "miss") == "miss"
