"""SLA cycles recorded as they end, per metric, and the daily rollups built from them."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from cases import services
from cases.models import Case, CaseDaily, SlaCycle, SlaDaily
from cases.services.clocks import case_recompute_clocks
from cases.services.sla_cycles import (
    case_cycle_rows,
    case_daily_rebuild,
    sla_rollup_rebuild,
    sla_rollups_refresh,
)
from sla.clocks import ClockEvent, ClockEventKind
from tests.cases.helpers import (
    ny,
    propose,
    reply_as_customer,
    reply_as_staff,
    request_info,
    taken,
)

pytestmark = pytest.mark.django_db

HOUR = 3600


def cycles(case: Case, metric: str) -> list[SlaCycle]:
    return list(SlaCycle.objects.filter(case=case, metric=metric).order_by("sequence"))


def test_first_staff_reply_records_a_met_initial_response_with_its_business_margin(
    cast, time_machine
):
    time_machine.move_to(ny(6, 10), tick=False)
    case = taken(cast)
    assert not SlaCycle.objects.exists(), "nothing ends when a case is taken"
    time_machine.move_to(ny(6, 11), tick=False)
    reply_as_staff(cast, case)
    [cycle] = cycles(case, "initial_response")
    assert (cycle.started_at, cycle.due_at, cycle.ended_at) == (ny(6, 10), ny(7, 17), ny(6, 11))
    assert cycle.met
    assert cycle.margin_seconds == 14 * HOUR  # Mon 11-17 and Tue 9-17
    assert cycle.elapsed_seconds == HOUR
    assert cycle.paused_seconds == 0
    assert (cycle.tenant, cycle.plan, cycle.priority, cycle.owner) == (
        cast.tenant_a,
        cast.tenant_a.plan,
        "P2",
        cast.engineer,
    )


def test_update_cycles_record_met_then_breached_with_paused_time_excluded(cast, time_machine):
    time_machine.move_to(ny(6, 10), tick=False)
    case = taken(cast)
    time_machine.move_to(ny(6, 11), tick=False)
    reply_as_staff(cast, case)
    time_machine.move_to(ny(7, 11), tick=False)
    request_info(cast, case)  # a public update, then the wait on the customer
    time_machine.move_to(ny(9, 14), tick=False)
    reply_as_customer(cast, case)  # 19 business hours paused; update due Mon 13th 14:00
    time_machine.move_to(ny(14, 10), tick=False)
    reply_as_staff(cast, case, "Update: still on it.")

    first, second = cycles(case, "next_update")
    assert (first.sequence, first.met, first.ended_at) == (1, True, ny(7, 11))
    assert first.margin_seconds == 8 * HOUR
    assert first.paused_seconds == 0
    assert (second.sequence, second.started_at, second.due_at) == (2, ny(7, 11), ny(13, 14))
    assert not second.met
    assert second.margin_seconds == -4 * HOUR  # Mon 14-17, Tue 9-10
    assert second.paused_seconds == 19 * HOUR
    assert second.elapsed_seconds == 20 * HOUR, "the 16h allowed plus 4h late, pause excluded"


def test_closure_records_the_resolution_with_the_solution_hold_excluded(cast, time_machine):
    cast.tenant_a.plan.priorities.filter(code="P2").update(resolution="24bh")
    time_machine.move_to(ny(6, 10), tick=False)
    case = taken(cast)
    reply_as_staff(cast, case)
    time_machine.move_to(ny(7, 10), tick=False)
    propose(cast, case)  # holds the resolution clock (8 business hours used)
    time_machine.move_to(ny(9, 12), tick=False)
    services.case_accept_solution(case_id=case.id, actor=cast.contact_a)

    [resolution] = cycles(case, "resolution")
    assert resolution.met
    assert resolution.paused_seconds == 18 * HOUR  # Tue 10-17, Wed, Thu 9-12
    assert resolution.elapsed_seconds == 8 * HOUR
    assert resolution.ended_at == ny(9, 12)
    [update] = cycles(case, "next_update")
    assert update.ended_at == ny(7, 10), "the proposed solution ended the update interval"


def test_recording_twice_records_nothing_new(cast, time_machine):
    time_machine.move_to(ny(6, 10), tick=False)
    case = taken(cast)
    reply_as_staff(cast, case)
    time_machine.move_to(ny(6, 12), tick=False)
    reply_as_staff(cast, case, "Update.")
    before = list(SlaCycle.objects.values_list("case", "metric", "sequence", "met"))
    case_recompute_clocks(Case.objects.select_related("tenant__plan").get(id=case.id))
    case_recompute_clocks(Case.objects.select_related("tenant__plan").get(id=case.id))
    after = list(SlaCycle.objects.values_list("case", "metric", "sequence", "met"))
    assert before == after
    assert len(after) == 2


def test_categories_without_sla_record_no_cycles(cast, time_machine):
    time_machine.move_to(ny(6, 10), tick=False)
    case = taken(cast, category="question")
    reply_as_staff(cast, case)
    assert not SlaCycle.objects.filter(case=case).exists()


def test_rollup_counts_met_and_breached_per_day_engineer_and_metric_idempotently(
    cast, time_machine, settings
):
    settings.TIME_ZONE = "America/New_York"
    time_machine.move_to(ny(6, 10), tick=False)
    on_time = taken(cast)
    late = taken(cast, "Second")
    time_machine.move_to(ny(6, 11), tick=False)
    reply_as_staff(cast, on_time)
    time_machine.move_to(ny(8, 11), tick=False)  # past Tue 17:00: late
    reply_as_staff(cast, late)

    pairs = {(cast.tenant_a.id, dt.date(2026, 4, 6)), (cast.tenant_a.id, dt.date(2026, 4, 8))}
    assert sla_rollup_rebuild(pairs) == 2
    assert sla_rollup_rebuild(pairs) == 2
    rows = {
        (row.day, row.metric, row.owner_id): (row.met, row.breached)
        for row in SlaDaily.objects.all()
    }
    assert rows == {
        (dt.date(2026, 4, 6), "initial_response", cast.engineer.id): (1, 0),
        (dt.date(2026, 4, 8), "initial_response", cast.engineer.id): (0, 1),
    }
    assert sum(SlaDaily.objects.get(day=dt.date(2026, 4, 6)).elapsed_histogram) == 1

    SlaDaily.objects.all().delete()
    assert sla_rollups_refresh(now=ny(8, 12)) == 1, "the last hour: the late reply's day"
    assert sla_rollups_refresh(now=ny(8, 12), lookback=dt.timedelta(days=3)) == 2


def test_backfill_records_the_cycles_of_existing_cases_once(cast, time_machine):
    time_machine.move_to(ny(6, 10), tick=False)
    case = taken(cast)
    reply_as_staff(cast, case)
    time_machine.move_to(ny(6, 12), tick=False)
    reply_as_staff(cast, case, "Update.")
    SlaCycle.objects.all().delete()
    SlaDaily.objects.all().delete()

    call_command("backfill_sla_cycles", stdout=StringIO())
    call_command("backfill_sla_cycles", stdout=StringIO())
    assert sorted(SlaCycle.objects.values_list("metric", "sequence")) == [
        ("initial_response", 1),
        ("next_update", 1),
    ]
    assert SlaDaily.objects.count() == 2


def test_case_daily_counts_received_closed_reopened_and_the_backlog_at_day_end(
    cast, time_machine, settings
):
    settings.TIME_ZONE = "America/New_York"
    time_machine.move_to(ny(6, 10), tick=False)
    first = taken(cast)
    taken(cast, "Second")
    time_machine.move_to(ny(7, 10), tick=False)
    services.case_close(case_id=first.id, actor=cast.engineer, reason="resolved", note="Fixed.")
    time_machine.move_to(ny(7, 12), tick=False)
    services.case_reopen(case_id=first.id, actor=cast.contact_a, reason="It fails again.")

    case_daily_rebuild(dt.date(2026, 4, 6))
    case_daily_rebuild(dt.date(2026, 4, 7))
    case_daily_rebuild(dt.date(2026, 4, 7))
    rows = {
        row.day: (row.received, row.closed, row.reopened, row.open_at_end)
        for row in CaseDaily.objects.filter(tenant=cast.tenant_a)
    }
    assert rows == {
        dt.date(2026, 4, 6): (2, 0, 0, 2),
        # The reopened case is open again (its closure is no longer on the row).
        dt.date(2026, 4, 7): (0, 0, 1, 2),
    }


def test_a_timeline_the_clocks_cannot_read_records_nothing_and_fails_nothing(cast, time_machine):
    time_machine.move_to(ny(6, 10), tick=False)
    case = taken(cast)
    reply_as_staff(cast, case)
    events = [ClockEvent(ny(6, 10), ClockEventKind.RECEIVED)]  # no priority on the receipt
    assert case_cycle_rows(case, events, {}, ny(6, 12)) == []
