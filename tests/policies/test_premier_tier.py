"""Policy 000, the enterprise engagement guide, as the demo's Premier Tier Customer
(`PREM`, plan "Premier Application Support"): Priority 1 by phone only, answered at once
and updated hourly around the clock; Priorities 2 and 3 next business day (9–5 Mon–Fri,
Chicago, US holidays); requests, questions and feature-flag requests without SLA, and
questions to the product owners; 2–4 portal users holding one of two certifications."""

import datetime as dt

import pytest

from cases import services
from cases.models import Channel
from supportdesk.errors import InvalidInput
from supportdesk.management.demo_policies import load_premier
from tenants.services import contact_grant
from tests.factories import UserFactory
from tests.policies.helpers import LOADED_AT, demo_login, engineer, file, fresh, local

pytestmark = pytest.mark.django_db

CHICAGO = "America/Chicago"


@pytest.fixture
def tenant(time_machine):
    time_machine.move_to(LOADED_AT, tick=False)
    return load_premier()


@pytest.mark.parametrize("channel", [Channel.PORTAL, Channel.API])
@pytest.mark.parametrize(
    ("first", "number"),
    [("Gareth", "00 800 555 0100 (option 2)"), ("Paula", "+1 877 555 0100 (option 2)")],
)
def test_priority_1_through_the_portal_or_api_is_refused_naming_the_contacts_regional_number(
    tenant, channel, first, number
):
    """Gareth is in the UK (the United Kingdom number), Paula in the US (the Americas)."""
    with pytest.raises(InvalidInput) as refused:
        file(
            tenant,
            demo_login(tenant, first),
            category="outage",
            priority="P1",
            channel=channel,
        )
    assert number in str(refused.value)
    assert "English, 24×7" in str(refused.value)
    assert "priority" in refused.value.field_errors
    assert not tenant.cases.exists()


def test_a_priority_1_phone_case_is_answered_at_once_and_updated_hourly_around_the_clock(
    tenant, time_machine
):
    """Saturday 3:00 in Chicago: outside business hours, yet P1 runs 24×7."""
    received = local(CHICAGO, 2026, 11, 7, 3)
    time_machine.move_to(received, tick=False)
    staff = engineer()
    case = file(
        tenant,
        staff,
        reporter=demo_login(tenant, "Paula"),
        category="outage",
        priority="P1",
        channel=Channel.PHONE,
    )
    case = fresh(case)
    assert case.initial_response_due == received
    assert case.first_responded_at == received
    assert case.next_update_due == local(CHICAGO, 2026, 11, 7, 4)
    time_machine.move_to(local(CHICAGO, 2026, 11, 7, 3, 50), tick=False)
    services.case_comment(case_id=case.id, actor=staff, body="Failover under way.")
    assert fresh(case).next_update_due == local(CHICAGO, 2026, 11, 7, 4, 50)


def test_priority_2_filed_friday_afternoon_is_due_by_the_end_of_monday(tenant, time_machine):
    time_machine.move_to(local(CHICAGO, 2026, 11, 6, 16), tick=False)
    case = file(tenant, demo_login(tenant, "Paula"), category="functionality_issue", priority="P2")
    assert fresh(case).initial_response_due == local(CHICAGO, 2026, 11, 9, 17)


def test_priority_3_filed_before_thanksgiving_is_due_by_the_end_of_the_friday(tenant, time_machine):
    """Thu 26 Nov 2026 is Thanksgiving, a US holiday; Fri 27 Nov is a business day."""
    time_machine.move_to(local(CHICAGO, 2026, 11, 25, 10), tick=False)
    case = file(tenant, demo_login(tenant, "Paula"), category="performance_issue", priority="P3")
    assert fresh(case).initial_response_due == local(CHICAGO, 2026, 11, 27, 17)


def test_a_question_carries_no_clock_and_goes_to_the_product_owners(tenant, time_machine):
    time_machine.move_to(local(CHICAGO, 2026, 11, 4, 10), tick=False)
    case = fresh(file(tenant, demo_login(tenant, "Paula"), category="question", priority="P2"))
    assert (case.initial_response_due, case.next_update_due, case.next_due_at) == (
        None,
        None,
        None,
    )
    assert case.group is not None
    assert case.group.name == "Product owners"


@pytest.mark.parametrize("category", ["request", "feature_flag_request"])
def test_requests_and_feature_flag_requests_carry_no_clock(tenant, time_machine, category):
    time_machine.move_to(local(CHICAGO, 2026, 11, 4, 10), tick=False)
    case = fresh(file(tenant, demo_login(tenant, "Paula"), category=category, priority="P3"))
    assert case.initial_response_due is None


def test_four_portal_users_at_most_a_fifth_is_refused(tenant, time_machine):
    time_machine.move_to(local(CHICAGO, 2026, 11, 4, 10), tick=False)
    staff = engineer()
    for name in ("third", "fourth"):
        _grant(tenant, staff, f"{name}@prem.test", "Productivity Management Certified badge")
    assert tenant.contacts.filter(is_active=True).count() == 4
    with pytest.raises(InvalidInput, match="already has 4 of the 4 portal contacts"):
        _grant(tenant, staff, "fifth@prem.test", "DAM Certified badge")
    assert tenant.contacts.filter(is_active=True).count() == 4


def test_a_certification_the_plan_does_not_list_is_refused(tenant, time_machine):
    time_machine.move_to(local(CHICAGO, 2026, 11, 4, 10), tick=False)
    with pytest.raises(InvalidInput) as refused:
        _grant(tenant, engineer(), "third@prem.test", "Some vendor's generic badge")
    assert "DAM Certified badge" in str(refused.value)
    assert not tenant.contacts.filter(user__username="third@prem.test").exists()


def _grant(tenant, actor, username: str, certification: str):
    return contact_grant(
        actor=actor,
        tenant_id=tenant.id,
        user=UserFactory(username=username),
        certification=certification,
        certified_on=dt.date(2026, 9, 1),
    )
