"""Races that only a real database with row locks can show: run on PostgreSQL."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from cases import services
from cases.models import Case, State
from supportdesk.errors import StateConflict
from tests.cases.helpers import file_case

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row-lock races need PostgreSQL (set DATABASE_URL); SQLite serialises writers",
    ),
]


def _in_thread(function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    finally:
        connection.close()


def _file(cast, number: int) -> str:
    case = file_case(cast, f"Concurrent case {number}", priority="P3", environment_access="refused")
    return case.reference


def test_references_stay_unique_and_consecutive_when_many_cases_are_filed_at_once(cast):
    with ThreadPoolExecutor(max_workers=8) as pool:
        references = list(pool.map(lambda n: _in_thread(_file, cast, n), range(40)))
    assert len(set(references)) == 40
    assert sorted(references) == [f"ACME-{n:05d}" for n in range(1, 41)]


def test_two_engineers_acting_on_one_case_at_once_give_one_clear_conflict(cast):
    case = services.case_create(
        actor=cast.contact_a,
        tenant_id=cast.tenant_a.id,
        summary="Race",
        category="bug",
        priority="P3",
        environment_access="granted",
    )
    services.case_assign(case_id=case.id, actor=cast.engineer, owner=cast.engineer)

    def propose(actor):
        try:
            services.case_propose_solution(case_id=case.id, actor=actor, body="Mine")
            return "won"
        except StateConflict as error:
            return error.message

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(
            pool.map(lambda a: _in_thread(propose, a), [cast.engineer, cast.triage_lead])
        )
    assert outcomes.count("won") == 1
    assert any("cannot be given a proposed solution" in o for o in outcomes if o != "won")
    case = Case.objects.get(id=case.id)
    assert case.state == State.SOLUTION_PROPOSED
    assert case.comments.count() == 1
