"""The read replica (supportdesk/db_router.py): only reads inside a stale-reads scope go to
the replica; writes, atomic blocks, what follows a write and everything outside the scope
stay on the primary; a replica that is down or refuses connections leaves the pages
answering from the primary."""

import socket
from collections.abc import Iterator

import pytest
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections, transaction
from django.test import RequestFactory
from django.urls import reverse
from rest_framework.test import APIClient

from cases.models import Case
from supportdesk import db_router
from supportdesk.db_router import REPLICA, ReplicaRouter, stale_reads, stale_reads_ok
from tests.cases.helpers import file_case
from tests.factories import api_token_for

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("admin:cases_case_dashboard")
QUEUE = reverse("admin:cases_case_changelist")
REPORTS = reverse("admin:cases_case_sla_reports")


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _add_replica_alias(settings_dict: dict) -> None:
    configured = connections.configure_settings(
        {DEFAULT_DB_ALIAS: dict(connections.settings[DEFAULT_DB_ALIAS]), REPLICA: settings_dict}
    )
    connections.settings[REPLICA] = configured[REPLICA]


def _remove_replica_alias() -> None:
    if REPLICA in connections.settings:
        connections[REPLICA].close()
        del connections[REPLICA]
        del connections.settings[REPLICA]


@pytest.fixture
def replica_alias() -> Iterator[None]:
    """`replica` on another server (never connected: the tests say whether it is healthy)."""
    _add_replica_alias({**connections.settings[DEFAULT_DB_ALIAS], "HOST": "replica.invalid"})
    db_router.health.reset()
    yield
    _remove_replica_alias()
    db_router.health.reset()


@pytest.fixture
def replica_gone() -> Iterator[int]:
    """`replica` pointing at a PostgreSQL port nothing listens on."""
    port = _closed_port()
    _add_replica_alias(
        {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "gone",
            "USER": "postgres",
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "OPTIONS": {"connect_timeout": 1},
            "TEST": {"MIRROR": "default"},
        }
    )
    db_router.health.reset()
    yield port
    _remove_replica_alias()
    db_router.health.reset()


@pytest.fixture
def healthy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db_router, "replica_usable", lambda: True)


router = ReplicaRouter()


def test_without_a_replica_every_read_and_write_goes_to_the_primary():
    with stale_reads():
        assert router.db_for_read(Case) == DEFAULT_DB_ALIAS
        assert Case.objects.all().db == DEFAULT_DB_ALIAS


def test_a_test_mirror_of_default_is_the_primary_itself():
    _add_replica_alias({**connections.settings[DEFAULT_DB_ALIAS], "TEST": {"MIRROR": "default"}})
    try:
        assert not db_router.replica_configured()
        with stale_reads() as scope:
            assert not scope.use_replica
    finally:
        _remove_replica_alias()


def test_reads_outside_a_stale_reads_scope_go_to_the_primary(replica_alias, healthy):
    assert router.db_for_read(Case) == DEFAULT_DB_ALIAS
    assert Case.objects.all().db == DEFAULT_DB_ALIAS


def test_reads_inside_the_scope_go_to_the_replica_and_writes_to_the_primary(replica_alias, healthy):
    with stale_reads():
        assert Case.objects.all().db == REPLICA
        assert router.db_for_write(Case) == DEFAULT_DB_ALIAS
    assert Case.objects.all().db == DEFAULT_DB_ALIAS


def test_after_a_write_the_scope_reads_its_own_write_from_the_primary(replica_alias, healthy, cast):
    with stale_reads():
        assert Case.objects.all().db == REPLICA
        file_case(cast)
        assert Case.objects.all().db == DEFAULT_DB_ALIAS


def test_select_for_update_inside_the_scope_goes_to_the_primary(replica_alias, healthy):
    with stale_reads():
        assert Case.objects.select_for_update().db == DEFAULT_DB_ALIAS


def test_inside_an_atomic_block_reads_go_to_the_primary(replica_alias, healthy):
    with stale_reads(), transaction.atomic():
        assert Case.objects.all().db == DEFAULT_DB_ALIAS


def test_a_replica_marked_down_sends_reads_to_the_primary(replica_alias, healthy):
    with stale_reads():
        db_router.mark_replica_down("test")
        assert Case.objects.all().db == DEFAULT_DB_ALIAS


def test_the_replica_is_never_migrated():
    assert router.allow_migrate(REPLICA, "cases") is False
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "cases") is None


def test_a_refused_connection_marks_the_replica_down_and_reads_go_to_the_primary(replica_gone):
    with stale_reads() as scope:
        assert not scope.use_replica
        assert Case.objects.all().db == DEFAULT_DB_ALIAS
    assert db_router.replica_down()


def test_the_dashboard_queue_and_reports_answer_from_the_primary_when_the_replica_is_gone(
    replica_gone, client, cast
):
    case = file_case(cast, summary="Printer on fire")
    client.force_login(cast.manager)
    assert client.get(DASHBOARD).status_code == 200
    queue = client.get(QUEUE, {"q": "Printer"})
    assert queue.status_code == 200
    assert case.reference in queue.content.decode()
    assert client.get(REPORTS).status_code == 200
    assert db_router.replica_down()


def test_the_api_case_list_answers_from_the_primary_when_the_replica_is_gone(replica_gone, cast):
    case = file_case(cast)
    api = APIClient()
    _, secret = api_token_for(cast.contact_a)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    response = api.get("/api/v1/cases/")
    assert response.status_code == 200
    assert [row["reference"] for row in response.json()["results"]] == [case.reference]


def test_a_query_failing_on_the_replica_is_run_again_on_the_primary(replica_alias, healthy):
    calls = []

    @stale_reads_ok
    def view(request):
        calls.append(Case.objects.all().db)
        if len(calls) == 1:
            raise OperationalError("replica went away")
        return "answered"

    assert view(RequestFactory().get("/")) == "answered"
    assert calls == [REPLICA, DEFAULT_DB_ALIAS]
    assert db_router.replica_down()


def test_a_failure_after_the_scope_wrote_is_not_run_twice(replica_alias, healthy):
    calls = []

    @stale_reads_ok
    def view(request):
        calls.append(Case.objects.all().db)
        router.db_for_write(Case)
        raise OperationalError("after a write")

    with pytest.raises(OperationalError):
        view(RequestFactory().get("/"))
    assert calls == [REPLICA]


def test_a_post_is_never_served_from_the_replica(replica_alias, healthy):
    seen = []

    @stale_reads_ok
    def view(request):
        seen.append(Case.objects.all().db)

    view(RequestFactory().post("/"))
    view(RequestFactory().get("/"))
    assert seen == [DEFAULT_DB_ALIAS, REPLICA]
