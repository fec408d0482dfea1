"""Faults: the broker unreachable while people work, a worker killed mid-task, two
engineers changing one case at once, and the database connection dropped and restored."""

import collections
import datetime as dt
import urllib.request

import psycopg
import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.urls import reverse
from kombu import pools as kombu_pools
from rest_framework.test import APIClient

from cases import services
from cases.models import Case, CaseEvent, State
from cases.services import automation
from notifications import delivery
from notifications.models import Notification
from notifications.tasks import send_notification, send_pending_notifications
from supportdesk.celery import app as celery_app
from supportdesk.errors import StateConflict
from tests.cases.helpers import file_case, ny, propose, taken
from tests.factories import PASSWORD
from tests.portal.test_case_new import intake

pytestmark = pytest.mark.django_db

# A loopback port where no Redis listens: the shared Redis server is never touched.
CLOSED_BROKER = "redis://127.0.0.1:6390/7"


@pytest.fixture
def published(monkeypatch) -> list[int]:
    """The ids handed to the broker on commit (the broker itself is not involved)."""
    ids: list[int] = []
    monkeypatch.setattr(
        send_notification, "apply_async", lambda args, **options: ids.append(args[0])
    )
    return ids


@pytest.fixture
def broker_down():
    """Point Celery at a closed port (a connection refused at once), then back at the
    in-memory broker the other tests use."""

    def use(url: str) -> None:
        celery_app.conf.broker_url = url
        celery_app.pool.force_close_all()
        celery_app._pool = None

    use(CLOSED_BROKER)
    yield use
    use("memory://")
    # The memory transport's pool was closed above and kombu keeps pools process-wide:
    # forget them all so later tests publish through fresh ones.
    kombu_pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def _staff_and_customer_work(cast, client, on_commit) -> Case:
    """A contact files a case in the portal; an engineer takes it and replies."""
    client.login(username=cast.contact_a.username, password=PASSWORD)
    with on_commit(execute=True):
        response = client.post(
            reverse("portal:case_new"),
            {**intake(), "summary": "Export fails during the broker outage"},
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    case = Case.objects.get(summary="Export fails during the broker outage")
    with on_commit(execute=True):
        services.case_assign(case_id=case.id, actor=cast.triage_lead, owner=cast.engineer)
    with on_commit(execute=True):
        services.case_comment(case_id=case.id, actor=cast.engineer, body="Looking at it now.")
    return case


def test_with_the_broker_unreachable_cases_are_filed_and_mail_waits_then_goes_once(
    cast, client, broker_down, django_capture_on_commit_callbacks
):
    with time_machine.travel(dt.datetime(2026, 3, 2, 14, 0, tzinfo=dt.UTC), tick=False) as clock:
        case = _staff_and_customer_work(cast, client, django_capture_on_commit_callbacks)
        assert case.state == State.NEW
        waiting = Notification.objects.filter(status=Notification.Status.PENDING)
        assert waiting.count() >= 3
        assert mail.outbox == []

        broker_down("memory://")  # the broker is back
        clock.shift(dt.timedelta(minutes=1))
        send_pending_notifications()
        # A second sweep, and late tasks for every row, send nothing again.
        send_pending_notifications()
        for notification_id in Notification.objects.values_list("id", flat=True):
            send_notification(notification_id)

    rows = Notification.objects.all()
    assert set(rows.values_list("status", flat=True)) == {Notification.Status.SENT}
    sent = collections.Counter(message.extra_headers["Message-ID"] for message in mail.outbox)
    assert sent == collections.Counter(rows.values_list("message_id", flat=True))
    assert set(sent.values()) == {1}


def test_a_worker_killed_while_sending_leaves_mail_that_the_sweep_sends_once(
    cast, django_capture_on_commit_callbacks, published
):
    with time_machine.travel(dt.datetime(2026, 3, 2, 14, 0, tzinfo=dt.UTC), tick=False) as clock:
        with django_capture_on_commit_callbacks(execute=True):
            case = file_case(cast)
        with django_capture_on_commit_callbacks(execute=True):
            services.case_assign(case_id=case.id, actor=cast.triage_lead, owner=cast.engineer)
        ids = list(published)
        # The worker claims the rows, then dies before sending any (kill -9: no release).
        assert len(delivery._claim(ids)) == len(ids)
        assert send_pending_notifications()["sent"] == 0  # the lease still holds
        assert mail.outbox == []
        clock.shift(dt.timedelta(seconds=601))  # OUTBOX_SEND_LEASE_SECONDS has passed
        send_pending_notifications()
        send_pending_notifications()
    assert len(mail.outbox) == len(ids)
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}


class WorkerKilled(BaseException):
    """What a worker's death looks like to the code it was running: not an error it may
    catch, and its open transaction never commits."""


def test_a_worker_killed_mid_sweep_misses_no_closure_and_repeats_none(
    cast, time_machine, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(automation, "BATCH_SIZE", 5)
    time_machine.move_to(ny(6, 10), tick=False)
    cases = [propose(cast, taken(cast)) for _ in range(12)]
    real_close = automation.cases_close_after_silence
    calls = []

    def dies_on_the_second_batch(*, case_ids: list[int]) -> list[Case]:
        calls.append(case_ids)
        closed = real_close(case_ids=case_ids)
        if len(calls) == 2:
            raise WorkerKilled
        return closed

    monkeypatch.setattr(automation, "cases_close_after_silence", dies_on_the_second_batch)
    time_machine.move_to(ny(30, 10), tick=False)
    with pytest.raises(WorkerKilled), django_capture_on_commit_callbacks(execute=True):
        automation.silent_solutions_close()
    assert Case.objects.filter(state=State.CLOSED).count() == 5  # the first batch only

    monkeypatch.setattr(automation, "cases_close_after_silence", real_close)
    with django_capture_on_commit_callbacks(execute=True):
        automation.silent_solutions_close()  # the next beat, on another worker
        automation.silent_solutions_close()
    ids = [case.id for case in cases]
    assert set(Case.objects.filter(id__in=ids).values_list("state", flat=True)) == {State.CLOSED}
    closures = CaseEvent.objects.filter(kind=CaseEvent.Kind.CLOSED, case_id__in=ids)
    assert sorted(closures.values_list("case_id", flat=True)) == sorted(ids)


def test_two_engineers_with_the_same_version_get_one_change_and_one_clear_conflict(cast):
    case = taken(cast)
    header = {"HTTP_IF_MATCH": f'"{case.version}"'}
    engineers = []
    for person in (cast.engineer, cast.triage_lead):
        client = APIClient()
        assert client.login(username=person.username, password=PASSWORD)
        engineers.append(client)
    url = reverse("api:case-comments", kwargs={"reference": case.reference})
    first = engineers[0].post(url, {"body": "First engineer's answer"}, format="json", **header)
    second = engineers[1].post(url, {"body": "Second, stale answer"}, format="json", **header)
    assert first.status_code == 201, first.content
    assert second.status_code == 412, second.content
    assert "changed by someone else" in second.json()["error"]["message"]
    bodies = list(Case.objects.get(id=case.id).comments.values_list("body", flat=True))
    assert bodies == ["First engineer's answer"]  # the first kept, the stale one refused


def test_a_stale_expected_version_in_a_service_call_changes_nothing(cast):
    case = taken(cast)
    stale = case.version
    services.case_comment(
        case_id=case.id, actor=cast.engineer, body="Newer", expected_version=stale
    )
    with pytest.raises(StateConflict) as conflict:
        services.case_comment(
            case_id=case.id, actor=cast.triage_lead, body="Older view", expected_version=stale
        )
    assert "changed" in conflict.value.message.lower()
    assert not Case.objects.get(id=case.id).comments.filter(body="Older view").exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="terminating a backend needs PostgreSQL (set DATABASE_URL)",
)
def test_a_dropped_database_connection_is_replaced_on_the_next_request(live_server, settings):
    """The server's connection is killed between two requests (as a PostgreSQL restart or
    a failover would); conn_health_checks notices and the next request reconnects."""
    assert connection.settings_dict["CONN_HEALTH_CHECKS"]
    status = live_server.url + reverse("portal:status")
    with urllib.request.urlopen(status) as response:  # noqa: S310 (loopback)
        assert response.status == 200
    connection.ensure_connection()  # this thread's connection is dropped too
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as admin:
        killed = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()[0]
    assert killed >= 1
    with urllib.request.urlopen(status) as response:  # noqa: S310 (loopback)
        assert response.status == 200
    # This thread's own connection was dropped too: the next use reconnects.
    connection.close_if_unusable_or_obsolete()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
