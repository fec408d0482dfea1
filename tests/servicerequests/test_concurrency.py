"""Races that only PostgreSQL's row locks show: simultaneous sandbox refreshes for one
month, and two workers raising the same customer escalations at once."""

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest
import time_machine
from django.db import connection

from cases import services as case_services
from cases.models import CustomerEscalationNotice
from notifications.models import Notification
from servicerequests import services
from servicerequests.models import ServiceRequest
from supportdesk.errors import InvalidInput
from tests.factories import CaseFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row-lock races need PostgreSQL (set DATABASE_URL); SQLite serialises writers",
    ),
]


def _in_thread(function, *args):
    try:
        return function(*args)
    finally:
        connection.close()


def test_simultaneous_refreshes_of_one_sandbox_leave_one_request(cast, estate):
    def refresh(_: int) -> str:
        try:
            return services.service_request_submit(
                actor=cast.contact_a,
                tenant_id=cast.tenant_a.id,
                type_code="sandbox_refresh",
                data={"environment": estate.sandbox.id},
            ).reference
        except InvalidInput as error:
            return error.message

    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(lambda n: _in_thread(refresh, n), range(6)))
    assert ServiceRequest.objects.count() == 1
    assert sum("once per calendar month" in outcome for outcome in outcomes) == 5


def test_two_workers_raising_escalations_at_once_raise_each_level_once(cast):
    cases = [CaseFactory(tenant=cast.tenant_a, reporter=cast.contact_a) for _ in range(20)]
    start = dt.datetime(2026, 5, 4, 14, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        for case in cases:
            case_services.case_escalate_by_customer(
                case_id=case.id, actor=cast.contact_a, reason="Slow."
            )
    with (
        time_machine.travel(start + dt.timedelta(days=2), tick=False),
        ThreadPoolExecutor(max_workers=2) as pool,
    ):
        risen = list(
            pool.map(
                lambda _: _in_thread(lambda: case_services.escalations_rise_due(batch_size=3)),
                range(2),
            )
        )
    assert sum(risen) == 20
    assert CustomerEscalationNotice.objects.filter(level=2).count() == 20
    level_two = Notification.objects.filter(dedup_key__contains=":level-2:")
    assert level_two.count() == 20
