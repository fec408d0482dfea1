"""Two workers running the same sweep at once: on PostgreSQL, where the row locks and
SKIP LOCKED are real, they split the due cases and nothing happens twice."""

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from django.db import connection

from cases import tasks
from cases.models import Case, CaseEvent, ContactAttempt, State
from cases.services import automation
from tests.cases.helpers import ny, propose, request_info, taken

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row-lock races need PostgreSQL (set DATABASE_URL); SQLite serialises writers",
    ),
]

CASES = 24


def run_twice_at_once(task) -> list[int]:
    barrier = Barrier(2)

    def run() -> int:
        try:
            barrier.wait()
            return task()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        return [future.result() for future in [pool.submit(run), pool.submit(run)]]


@pytest.fixture
def small_batches(monkeypatch):
    """Batches of 5 so the two workers interleave batch by batch."""
    monkeypatch.setattr(automation, "BATCH_SIZE", 5)


def test_two_workers_send_each_follow_up_once_and_close_each_case_once(
    cast, time_machine, small_batches
):
    time_machine.move_to(ny(6, 10), tick=False)
    cases = [request_info(cast, taken(cast)) for _ in range(CASES)]
    time_machine.move_to(ny(9, 10), tick=False)
    assert sum(run_twice_at_once(tasks.send_follow_ups)) == CASES
    assert ContactAttempt.objects.filter(number=2).count() == CASES
    assert CaseEvent.objects.filter(kind=CaseEvent.Kind.CONTACT_ATTEMPT).count() == 2 * CASES

    time_machine.move_to(ny(17, 0), tick=False)
    assert sum(run_twice_at_once(tasks.close_unanswered_cases)) == CASES
    assert CaseEvent.objects.filter(kind=CaseEvent.Kind.CLOSED).count() == CASES
    states = Case.objects.filter(id__in=[case.id for case in cases]).values_list("state")
    assert set(states) == {(State.CLOSED,)}


def test_two_workers_send_each_sla_alert_once(cast, time_machine, small_batches):
    time_machine.move_to(ny(6, 10), tick=False)
    for _ in range(CASES):
        taken(cast)
    time_machine.move_to(ny(7, 13, 15), tick=False)
    assert sum(run_twice_at_once(tasks.send_sla_alerts)) == CASES
    time_machine.move_to(ny(7, 17), tick=False)
    assert sum(run_twice_at_once(tasks.send_sla_alerts)) == CASES
    counts = {
        kind: CaseEvent.objects.filter(kind=kind).count()
        for kind in (CaseEvent.Kind.SLA_AT_RISK, CaseEvent.Kind.SLA_BREACHED, "escalated")
    }
    assert counts == {"sla_at_risk": CASES, "sla_breached": CASES, "escalated": CASES}


def test_two_workers_remind_and_close_each_silent_solution_once(cast, time_machine, small_batches):
    time_machine.move_to(ny(6, 10), tick=False)
    for _ in range(CASES):
        propose(cast, taken(cast))
    time_machine.move_to(ny(9, 10), tick=False)
    assert sum(run_twice_at_once(tasks.send_solution_reminders)) == CASES
    time_machine.move_to(ny(15, 10), tick=False)
    assert sum(run_twice_at_once(tasks.close_silent_solutions)) == CASES
    assert CaseEvent.objects.filter(kind=CaseEvent.Kind.SOLUTION_REMINDER).count() == CASES
    assert CaseEvent.objects.filter(kind=CaseEvent.Kind.CLOSED).count() == CASES
