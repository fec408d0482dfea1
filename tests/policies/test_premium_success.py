"""Policy 001, the ad-management vendor's support process, as the demo's Premium Success
Customer (`PSUC`, plan "Premium Success"): initial responses from 2 business hours (L1) to
2 business days (L4), business hours only, weekends and public holidays excluded (9–5
Mon–Fri Berlin, German holidays); the escalation path CSM → COO → CEO."""

import pytest

from cases import services
from cases.models import CustomerEscalation
from supportdesk.management.demo_policies import load_premium_success
from tests.policies.helpers import LOADED_AT, demo_login, file, fresh, local

pytestmark = pytest.mark.django_db

BERLIN = "Europe/Berlin"


@pytest.fixture
def tenant(time_machine):
    time_machine.move_to(LOADED_AT, tick=False)
    return load_premium_success()


def test_l1_filed_on_christmas_eve_afternoon_is_due_monday_morning(tenant, time_machine):
    """Thu 24 Dec 16:00: one business hour left that day; Fri 25 and Sat 26 Dec are
    holidays (and a weekend), Sun 27 a Sunday; the second hour ends Mon 28 Dec 10:00."""
    time_machine.move_to(local(BERLIN, 2026, 12, 24, 16), tick=False)
    case = file(tenant, demo_login(tenant, "Berta"), category="bug", priority="L1")
    assert fresh(case).initial_response_due == local(BERLIN, 2026, 12, 28, 10)


def test_l4_is_answered_within_two_business_days(tenant, time_machine):
    time_machine.move_to(local(BERLIN, 2026, 10, 12, 10), tick=False)
    case = file(tenant, demo_login(tenant, "Berta"), category="question", priority="L4")
    assert fresh(case).initial_response_due == local(BERLIN, 2026, 10, 14, 10)


def test_l1_received_on_a_saturday_starts_counting_on_monday_morning(tenant, time_machine):
    """Business hours only: a weekend filing waits for the opening."""
    time_machine.move_to(local(BERLIN, 2026, 10, 17, 11), tick=False)
    case = file(tenant, demo_login(tenant, "Bruno"), category="bug", priority="L1")
    assert fresh(case).initial_response_due == local(BERLIN, 2026, 10, 19, 11)


@pytest.mark.parametrize("category", ["customization_request", "enhancement_request"])
def test_customization_and_feature_requests_carry_no_response_target(
    tenant, time_machine, category
):
    time_machine.move_to(local(BERLIN, 2026, 10, 12, 10), tick=False)
    case = file(tenant, demo_login(tenant, "Berta"), category=category, priority="L3")
    assert fresh(case).initial_response_due is None


def test_an_escalation_goes_to_the_csm_then_the_coo_then_the_ceo(tenant, time_machine):
    time_machine.move_to(local(BERLIN, 2026, 10, 13, 10), tick=False)
    berta = demo_login(tenant, "Berta")
    case = file(tenant, berta, category="bug", priority="L2")
    escalation = services.case_escalate_by_customer(
        case_id=case.id, actor=berta, reason="No answer on a blocking bug."
    )
    roles = [(escalation.level, escalation.level_role)]
    for _ in range(3):
        escalation = CustomerEscalation.objects.get(id=escalation.id)
        if escalation.next_rise_at is None:
            break
        time_machine.move_to(escalation.next_rise_at, tick=False)
        services.escalations_rise_due()
        escalation = CustomerEscalation.objects.get(id=escalation.id)
        roles.append((escalation.level, escalation.level_role))
    assert roles == [(1, "csm"), (2, "coo"), (3, "ceo")]
    # The CEO is the top: it rises no further.
    assert CustomerEscalation.objects.get(id=escalation.id).next_rise_at is None
