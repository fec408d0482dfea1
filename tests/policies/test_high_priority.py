"""Policy 002, the identity-governance vendor's support packages, as the demo's High
Priority Customer (`HIPRI`, plan "High Priority Service"): Sev1 answered quickly in
business hours (9–5 Mon–Fri Sydney, NSW holidays) and reasonably promptly off hours; every
email starts at the lowest severity and the technical account manager may escalate at
once; triage dispatches by type, severity and package; out-of-scope work is closed as
such; higher tiers go first in the shared queue."""

import pytest

from cases import services
from cases.models import CaseEvent, Channel, CloseReason, State
from supportdesk.errors import InvalidInput, NotPermitted
from supportdesk.management.demo_policies import load_high_priority
from tests.factories import UserFactory
from tests.policies.helpers import LOADED_AT, demo_login, engineer, file, fresh, local

pytestmark = pytest.mark.django_db

SYDNEY = "Australia/Sydney"
SEV1_TECHNICAL = {"category": "technical_problem", "priority": "Sev1"}


@pytest.fixture
def tenant(time_machine):
    time_machine.move_to(LOADED_AT, tick=False)
    return load_high_priority()


def _file(tenant, first="Hana", answers=None, **overrides):
    return file(
        tenant,
        demo_login(tenant, first),
        custom_fields=answers if answers is not None else {"desired_severity": "Sev1"},
        **overrides,
    )


def test_sev1_in_business_hours_is_answered_within_one_business_hour(tenant, time_machine):
    time_machine.move_to(local(SYDNEY, 2026, 10, 13, 10), tick=False)
    case = fresh(_file(tenant, **SEV1_TECHNICAL))
    assert case.initial_response_due == local(SYDNEY, 2026, 10, 13, 11)
    # Priority over lower tiers within a severity in the shared queue.
    assert case.plan_precedence == 10


def test_sev1_off_hours_is_answered_within_four_hours_of_the_clock(tenant, time_machine):
    """Tue 22:00 in Sydney is outside business hours: 4 wall-clock hours, Wed 02:00."""
    time_machine.move_to(local(SYDNEY, 2026, 10, 13, 22), tick=False)
    case = fresh(_file(tenant, **SEV1_TECHNICAL))
    assert case.initial_response_due == local(SYDNEY, 2026, 10, 14, 2)


def test_an_email_begins_at_the_lowest_severity(tenant, time_machine):
    time_machine.move_to(local(SYDNEY, 2026, 10, 13, 10), tick=False)
    case = fresh(_file(tenant, answers={}, channel=Channel.EMAIL, **SEV1_TECHNICAL))
    assert case.priority == "Sev3"
    # Mail cannot be sent back: filed without the required desired severity.
    assert case.custom_fields == {}


@pytest.fixture
def sev3_case(tenant, time_machine):
    time_machine.move_to(local(SYDNEY, 2026, 10, 13, 10), tick=False)
    return _file(
        tenant, answers={"desired_severity": "Sev3"}, **{**SEV1_TECHNICAL, "priority": "Sev3"}
    )


def test_the_technical_account_manager_escalates_and_raises_severity_at_once(tenant, sev3_case):
    """Tara is a staff account without a working role, on the customer's account team."""
    tara = UserFactory(username="tara@supportdesk.demo")
    services.case_escalate(
        case_id=sev3_case.id, actor=tara, reason="Go-live tomorrow.", priority="Sev1"
    )
    case = fresh(sev3_case)
    assert (case.priority, case.is_escalated) == ("Sev1", True)
    assert case.events.get(kind=CaseEvent.Kind.ESCALATED).data["by_account_team"] is True


def test_staff_outside_the_account_team_keep_the_usual_rule(tenant, sev3_case):
    """Without a working role and off the team: refused. An engineer escalates by their
    staff role, not as the account team."""
    outsider = UserFactory(username="otto@vendor.test")
    outsider.is_staff = True
    outsider.save(update_fields=["is_staff"])
    with pytest.raises(NotPermitted):
        services.case_escalate(case_id=sev3_case.id, actor=outsider, reason="Please")
    assert not fresh(sev3_case).is_escalated
    services.case_escalate(case_id=sev3_case.id, actor=engineer(), reason="Customer asks.")
    escalated = fresh(sev3_case).events.get(kind=CaseEvent.Kind.ESCALATED)
    assert escalated.data["by_account_team"] is False


def test_billing_goes_to_accounts(tenant, time_machine):
    time_machine.move_to(local(SYDNEY, 2026, 10, 13, 10), tick=False)
    case = fresh(
        _file(tenant, answers={"desired_severity": "Sev3"}, category="billing", priority="Sev3")
    )
    assert case.group.name == "Accounts"
    assert case.initial_response_due is None


def test_a_sev1_technical_problem_goes_to_the_least_loaded_tier_2_engineer(tenant, time_machine):
    """Tomas already owns an open case, so Tess (none) gets the first Sev1; with one
    each, the tie goes round-robin to Tomas (never given one by routing)."""
    time_machine.move_to(local(SYDNEY, 2026, 10, 13, 10), tick=False)
    tomas = UserFactory(username="tomas@supportdesk.demo")
    busy = _file(tenant, category="technical_problem", priority="Sev2")
    services.case_assign(case_id=busy.id, actor=tomas, owner=tomas)
    first = fresh(_file(tenant, **SEV1_TECHNICAL))
    second = fresh(_file(tenant, first="Hugh", **SEV1_TECHNICAL))
    assert (first.group.name, first.owner.username) == ("Tier 2", "tess@supportdesk.demo")
    assert (second.group.name, second.owner.username) == ("Tier 2", "tomas@supportdesk.demo")


def test_a_sev2_technical_problem_goes_to_the_support_engineers(tenant, time_machine):
    time_machine.move_to(local(SYDNEY, 2026, 10, 13, 10), tick=False)
    case = fresh(_file(tenant, category="technical_problem", priority="Sev2"))
    assert case.group.name == "Support engineers"


def test_the_desired_severity_is_required_when_filing(tenant, time_machine):
    time_machine.move_to(local(SYDNEY, 2026, 10, 13, 10), tick=False)
    with pytest.raises(InvalidInput) as refused:
        _file(tenant, answers={"frequency": "Daily"}, **SEV1_TECHNICAL)
    assert "custom_fields.desired_severity" in refused.value.field_errors
    case = fresh(
        _file(tenant, answers={"desired_severity": "Sev2", "frequency": "Daily"}, **SEV1_TECHNICAL)
    )
    assert case.custom_fields == {"desired_severity": "Sev2", "frequency": "Daily"}


def test_out_of_scope_work_is_closed_as_out_of_scope(tenant, sev3_case):
    case = services.case_close(
        case_id=sev3_case.id,
        actor=engineer(),
        reason=CloseReason.OUT_OF_SCOPE,
        note="This is a customer-built connector, outside the support contract.",
    )
    case = fresh(case)
    assert (case.state, case.close_reason) == (State.CLOSED, "out_of_scope")
