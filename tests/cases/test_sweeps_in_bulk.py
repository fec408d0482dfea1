"""Sweeps in bulk (issue 19): a batch of many due cases writes exactly the rows that the
same cases handled one at a time write (case fields, events, comments, contact attempts,
outbox rows), a re-run writes nothing, and a batch costs the same number of queries
whatever its size. On PostgreSQL the batch's case fields go out in one UPDATE ... FROM
(VALUES ...) statement; on SQLite one UPDATE per row."""

import re
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from cases import tasks
from cases.models import Case, CaseEvent, Comment, ContactAttempt, State
from cases.services import automation, clocks
from notifications.models import Notification
from tests.cases.helpers import ny, propose, request_info, taken

pytestmark = pytest.mark.django_db

Kind = CaseEvent.Kind
EACH = 3
CASE_FIELDS = [
    "state",
    "close_reason",
    "closed_at",
    "follow_up_due_at",
    "auto_close_at",
    "solution_reminder_at",
    "solution_close_at",
    "sla_alerts",
    "next_sla_alert_at",
    "breached_at",
    "escalated_at",
    "initial_response_due",
    "next_update_due",
    "resolution_due",
    "next_due_at",
    "sla_paused",
    "sla_explanation",
    "clocks_stale_at",
    "version",
]


class _Undo(Exception):
    pass


def _scenario(cast, time_machine) -> list[Case]:
    """EACH cases awaiting information, EACH with a proposed solution and EACH just taken,
    all from Monday 6 April 10:00 (every sweep has EACH or more cases due later)."""
    time_machine.move_to(ny(6, 10), tick=False)
    waiting = [request_info(cast, taken(cast)) for _ in range(EACH)]
    proposed = [propose(cast, taken(cast)) for _ in range(EACH)]
    working = [taken(cast) for _ in range(EACH)]
    return [*waiting, *proposed, *working]


def _run_every_sweep(time_machine, cases: list[Case]) -> list[int]:
    """The week's sweeps: follow-ups, reminders and alerts on Thursday, closures and a
    clock refresh of every open case the next Friday. Returns the rows each handled."""
    time_machine.move_to(ny(9, 10), tick=False)
    handled = [tasks.send_sla_alerts(), tasks.send_follow_ups(), tasks.send_solution_reminders()]
    time_machine.move_to(ny(17, 0), tick=False)
    handled += [tasks.close_unanswered_cases(), tasks.close_silent_solutions()]
    Case.objects.filter(id__in=[case.id for case in cases]).exclude(state=State.CLOSED).update(
        clocks_stale_at=ny(17, 0) - timedelta(minutes=1)
    )
    handled += [tasks.refresh_stale_clocks(), tasks.send_sla_alerts()]
    return handled


def _rows(cases: list[Case]) -> list[dict]:
    """What the sweeps wrote for each case, without ids and references (which differ
    between two runs of the same scenario)."""
    result = []
    for case in cases:
        row = Case.objects.values(*CASE_FIELDS).get(id=case.id)

        def plain(text: str, case: Case = case) -> str:
            return re.sub(r"\d+", "#", text.replace(case.reference, "REF"))

        row["events"] = [
            (
                *(e.kind, plain(e.message), e.dedupe_key, e.data, e.public, e.actor_id),
                *(e.version, e.from_state, e.to_state, e.comment_id is not None),
            )
            for e in CaseEvent.objects.filter(case=case).order_by("created_at", "id")
        ]
        row["comments"] = [
            (plain(c.body), c.public, c.by_staff, c.author_id)
            for c in Comment.objects.filter(case=case).order_by("created_at", "id")
        ]
        row["attempts"] = list(
            ContactAttempt.objects.filter(case=case)
            .order_by("round", "number")
            .values_list("round", "number", "method", "closure_date")
        )
        row["outbox"] = sorted(
            Notification.objects.filter(case=case).values_list("event", "template", "recipient")
        )
        result.append(row)
    return result


def _swept(time_machine, cases: list[Case], batch_size: int) -> tuple[list[int], list[dict]]:
    """Run the week's sweeps with batches of `batch_size`, read what they wrote, and undo
    it all, so the next run starts from the same rows."""
    automation.BATCH_SIZE = clocks.BATCH_SIZE = batch_size
    try:
        with transaction.atomic():
            handled = _run_every_sweep(time_machine, cases)
            rows = _rows(cases)
            raise _Undo
    except _Undo:
        pass
    return handled, rows


def test_a_batch_writes_exactly_the_rows_that_one_case_at_a_time_writes(
    cast, time_machine, monkeypatch
):
    monkeypatch.setattr(automation, "BATCH_SIZE", automation.BATCH_SIZE)
    monkeypatch.setattr(clocks, "BATCH_SIZE", clocks.BATCH_SIZE)
    cases = _scenario(cast, time_machine)

    one_by_one = _swept(time_machine, cases, 1)
    batched = _swept(time_machine, cases, 200)

    assert batched[0] == one_by_one[0]
    assert batched[0][1:6] == [EACH] * 5
    for alone, together in zip(one_by_one[1], batched[1], strict=True):
        for field in alone:
            assert together[field] == alone[field], field


def test_a_batch_does_what_each_sweep_promises_for_every_case(cast, time_machine):
    """The expectation built apart from the code: field by field, per case."""
    cases = _scenario(cast, time_machine)
    waiting, proposed, working = cases[:EACH], cases[EACH : 2 * EACH], cases[2 * EACH :]
    _run_every_sweep(time_machine, cases)
    for row in _rows(waiting):
        assert (row["state"], row["close_reason"]) == (State.CLOSED, "no_response")
        assert row["attempts"] == [(1, 1, "request_info", None), (1, 2, "follow_up", ny(17, 0))]
        assert [e[0] for e in row["events"]].count(Kind.CONTACT_ATTEMPT) == 2
        assert [e[0] for e in row["events"]].count(Kind.CLOSED) == 1
        assert (row["follow_up_due_at"], row["auto_close_at"]) == (None, None)
    for row in _rows(proposed):
        assert (row["state"], row["close_reason"]) == (State.CLOSED, "resolved")
        assert [e[0] for e in row["events"]].count(Kind.SOLUTION_REMINDER) == 1
        assert (row["solution_reminder_at"], row["solution_close_at"]) == (None, None)
    for row in _rows(working):
        kinds = [e[0] for e in row["events"]]
        assert kinds.count(Kind.SLA_BREACHED) == kinds.count(Kind.ESCALATED) >= 1
        assert row["breached_at"] == ny(7, 17)
        assert row["clocks_stale_at"] is None
        assert row["state"] == State.IN_PROGRESS
    keys = list(Notification.objects.values_list("dedup_key", flat=True))
    assert len(keys) == len(set(keys)), "one email per event and recipient"


def test_a_rerun_of_every_sweep_writes_nothing_new(cast, time_machine):
    cases = _scenario(cast, time_machine)
    _run_every_sweep(time_machine, cases)
    before = (
        CaseEvent.objects.count(),
        Notification.objects.count(),
        ContactAttempt.objects.count(),
        Comment.objects.count(),
    )
    assert [
        tasks.send_sla_alerts(),
        tasks.send_follow_ups(),
        tasks.send_solution_reminders(),
        tasks.close_unanswered_cases(),
        tasks.close_silent_solutions(),
        tasks.refresh_stale_clocks(),
    ] == [0] * 6
    after = (
        CaseEvent.objects.count(),
        Notification.objects.count(),
        ContactAttempt.objects.count(),
        Comment.objects.count(),
    )
    assert after == before


def _queries_of_each_sweep(cast, time_machine, each: int) -> list[int]:
    time_machine.move_to(ny(6, 10), tick=False)
    waiting = [request_info(cast, taken(cast)) for _ in range(each)]
    proposed = [propose(cast, taken(cast)) for _ in range(each)]
    working = [taken(cast) for _ in range(each)]
    counts = []
    time_machine.move_to(ny(9, 10), tick=False)
    for task in (tasks.send_sla_alerts, tasks.send_follow_ups, tasks.send_solution_reminders):
        with CaptureQueriesContext(connection) as queries:
            task()
        counts.append(len(queries))
    time_machine.move_to(ny(17, 0), tick=False)
    Case.objects.filter(id__in=[case.id for case in working]).update(
        clocks_stale_at=ny(17, 0) - timedelta(minutes=1)
    )
    for task in (tasks.close_unanswered_cases, tasks.close_silent_solutions):
        with CaptureQueriesContext(connection) as queries:
            task()
        counts.append(len(queries))
    with CaptureQueriesContext(connection) as queries:
        assert tasks.refresh_stale_clocks() == each
    counts.append(len(queries))
    assert len(waiting) == len(proposed) == each
    return counts


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="on SQLite the case fields are written one UPDATE per row",
)
def test_each_sweeps_queries_per_batch_do_not_grow_with_the_batch(cast, time_machine):
    # The second round's cases are due at the same moments; the first round's are done.
    few = _queries_of_each_sweep(cast, time_machine, 2)
    many = _queries_of_each_sweep(cast, time_machine, 10)
    assert many == few
