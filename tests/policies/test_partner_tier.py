"""Policy 003, the manufacturing-software vendor's partner policy, as the demo's Partner
Tier Customer (`PART`, plan "Partner Support"): severity 1 for production only; any
number of designated contacts (two recommended) on five business days' notice (8–6
Mon–Fri New York, US holidays); a partner acting under a letter; customization to
professional services, enhancements to product management; the root cause on closure."""

import datetime as dt

import pytest

from cases import services
from cases.models import CloseReason, State
from supportdesk.errors import InvalidInput
from supportdesk.management.demo_policies import load_partner
from tenants.models import EnvironmentKind
from tenants.services import contact_grant, contact_request_create, contact_slots
from tests.factories import UserFactory
from tests.policies.helpers import LOADED_AT, demo_login, engineer, file, fresh, local

pytestmark = pytest.mark.django_db

NEW_YORK = "America/New_York"


@pytest.fixture
def tenant(time_machine):
    time_machine.move_to(LOADED_AT, tick=False)
    return load_partner()


@pytest.fixture
def tuesday_morning(time_machine):
    """Tue 13 Oct 2026, 9:00 in New York (Mon 12 Oct is Columbus Day, a US holiday)."""
    time_machine.move_to(local(NEW_YORK, 2026, 10, 13, 9), tick=False)


def test_severity_1_is_for_production_only(tenant, tuesday_morning):
    dora = demo_login(tenant, "Dora")
    with pytest.raises(InvalidInput, match="production only"):
        file(tenant, dora, category="bug", priority="S1", environment=EnvironmentKind.SANDBOX)
    assert not tenant.cases.exists()
    case = file(tenant, dora, category="bug", priority="S1", environment=EnvironmentKind.PRODUCTION)
    assert fresh(case).priority == "S1"
    # A sandbox problem is filed at S2.
    file(tenant, dora, category="bug", priority="S2", environment=EnvironmentKind.SANDBOX)


def test_any_number_of_designated_contacts_ten_are_accepted(tenant, tuesday_morning):
    staff = engineer()
    for number in range(8):
        contact_grant(
            actor=staff,
            tenant_id=tenant.id,
            user=UserFactory(username=f"contact{number}@part.test"),
            certification="Partner-trained administrator",
        )
    slots = contact_slots(tenant)
    assert (slots.contacts, slots.limit, slots.text) == (10, None, "no limit")


def test_a_new_contact_takes_effect_five_business_days_after_the_request(tenant, time_machine):
    """Asked Wed 25 Nov 2026: Thu 26 is Thanksgiving; Fri 27, Mon 30, Tue 1, Wed 2 and
    Thu 3 Dec are the five business days, so Thu 3 Dec is the first allowed day."""
    time_machine.move_to(local(NEW_YORK, 2026, 11, 25, 10), tick=False)
    dora = demo_login(tenant, "Dora")
    request = contact_request_create(
        actor=dora,
        tenant_id=tenant.id,
        first_name="Nia",
        last_name="New",
        email="nia@part.test",
        training_completed="Partner-trained administrator",
    )
    assert request.effective_from == dt.date(2026, 12, 3)
    with pytest.raises(InvalidInput) as refused:
        contact_request_create(
            actor=dora,
            tenant_id=tenant.id,
            first_name="Ned",
            last_name="Early",
            email="ned@part.test",
            training_completed="Partner-trained administrator",
            effective_from=dt.date(2026, 12, 2),
        )
    assert "effective_from" in refused.value.field_errors


def test_the_root_cause_is_required_at_closure(tenant, tuesday_morning):
    case = file(tenant, demo_login(tenant, "Dev"), category="question", priority="S4")
    staff = engineer()
    with pytest.raises(InvalidInput) as refused:
        services.case_close(
            case_id=case.id, actor=staff, reason=CloseReason.RESOLVED, note="Answered."
        )
    assert "custom_fields.root_cause" in refused.value.field_errors
    assert fresh(case).state != State.CLOSED
    services.case_close(
        case_id=case.id,
        actor=staff,
        reason=CloseReason.RESOLVED,
        note="Answered.",
        custom_fields={"root_cause": "Training"},
    )
    case = fresh(case)
    assert (case.state, case.custom_fields["root_cause"]) == (State.CLOSED, "Training")


@pytest.mark.parametrize(
    ("category", "group"),
    [
        ("customization_request", "Professional services"),
        ("enhancement_request", "Product management"),
    ],
)
def test_customization_and_enhancements_are_routed_to_their_teams(
    tenant, tuesday_morning, category, group
):
    case = fresh(file(tenant, demo_login(tenant, "Dora"), category=category, priority="S4"))
    assert case.group.name == group
    assert case.initial_response_due is None


def test_the_partner_files_for_the_customer_under_its_letter(tenant, tuesday_morning):
    cody = UserFactory(username="cody@channelpartner.demo")
    case = fresh(file(tenant, cody, category="bug", priority="S3"))
    assert case.partner.name == "Channel Partner Ltd"
    assert case.reporter == cody


def test_severities_answer_within_their_targets(tenant, tuesday_morning):
    """Our figures (the document gives none): S1 2 business hours, S4 2 business days,
    on 8:00–18:00 New York."""
    dora = demo_login(tenant, "Dora")
    s1 = fresh(file(tenant, dora, category="bug", priority="S1"))
    assert s1.initial_response_due == local(NEW_YORK, 2026, 10, 13, 11)
    s4 = fresh(file(tenant, dora, category="bug", priority="S4"))
    assert s4.initial_response_due == local(NEW_YORK, 2026, 10, 15, 9)
