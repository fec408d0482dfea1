"""The customer escalation path: raised from the portal, rising level by level with
driven time while nobody acknowledges it, and ended by staff with a note."""

import datetime as dt

import pytest
import time_machine
from django.core import mail

from cases import services
from cases.models import CaseEvent, CustomerEscalation, CustomerEscalationNotice
from cases.tasks import rise_customer_escalations
from notifications.models import Notification
from notifications.tasks import send_pending_notifications
from sla.models import Calendar
from supportdesk.errors import InvalidInput, NotFound, NotPermitted, StateConflict
from tenants.models import AccountRole, EscalationLevel
from tests.factories import AccountTeamMemberFactory, CaseFactory, UserFactory

pytestmark = pytest.mark.django_db

# Monday 10:00 in New York, the plan's calendar (Mon–Fri 9–17).
MONDAY = dt.datetime(2026, 5, 4, 14, 0, tzinfo=dt.UTC)


@pytest.fixture
def path(cast):
    """Acme's plan: CSM for 4 business hours, then the COO for 1 business day, then the CEO."""
    plan = cast.tenant_a.plan
    for level, role, rise in [
        (1, AccountRole.CUSTOMER_SUCCESS_MANAGER, "4bh"),
        (2, AccountRole.COO, "1bd"),
        (3, AccountRole.CEO, "1bd"),
    ]:
        EscalationLevel.objects.create(plan=plan, level=level, role_id=role, rise_after=rise)
    csm = UserFactory(username="carla@vendor.test", first_name="Carla", roles=[])
    AccountTeamMemberFactory(
        tenant=cast.tenant_a, role=AccountRole.CUSTOMER_SUCCESS_MANAGER, user=csm, name="", email=""
    )
    AccountTeamMemberFactory(
        tenant=cast.tenant_a, role=AccountRole.COO, name="Olga Ops", email="coo@vendor.test"
    )
    AccountTeamMemberFactory(
        tenant=cast.tenant_a, role=AccountRole.CEO, name="Ceci Chief", email="ceo@vendor.test"
    )
    return csm


@pytest.fixture
def case(cast):
    return CaseFactory(tenant=cast.tenant_a, reporter=cast.contact_a)


def escalate(cast, case):
    return services.case_escalate_by_customer(
        case_id=case.id, actor=cast.contact_a, reason="Three days without an update."
    )


def recipients(escalation, level):
    return sorted(
        Notification.objects.filter(
            event="escalation.raised", dedup_key__contains=f":level-{level}:"
        ).values_list("recipient", flat=True)
    )


def test_level_one_goes_to_the_customer_success_manager(cast, case, path):
    with time_machine.travel(MONDAY, tick=False):
        escalation = escalate(cast, case)
    assert escalation.level == 1
    assert escalation.next_rise_at == dt.datetime(2026, 5, 4, 18, 0, tzinfo=dt.UTC)
    assert recipients(escalation, 1) == ["carla@vendor.test"]
    event = case.events.get(kind=CaseEvent.Kind.CUSTOMER_ESCALATION)
    assert event.public
    assert "customer success manager" in event.message


def test_the_escalation_rises_to_the_coo_then_the_ceo_while_unanswered(cast, case, path):
    with time_machine.travel(MONDAY, tick=False):
        escalation = escalate(cast, case)
    with time_machine.travel(dt.datetime(2026, 5, 4, 17, 59, tzinfo=dt.UTC), tick=False):
        assert rise_customer_escalations() == 0
    with time_machine.travel(dt.datetime(2026, 5, 4, 18, 0, tzinfo=dt.UTC), tick=False):
        assert rise_customer_escalations() == 1
    escalation.refresh_from_db()
    assert escalation.level == 2
    assert recipients(escalation, 2) == ["coo@vendor.test"]
    # One business day from Monday 14:00 New York: Tuesday 14:00 (18:00 UTC).
    assert escalation.next_rise_at == dt.datetime(2026, 5, 5, 18, 0, tzinfo=dt.UTC)
    with time_machine.travel(dt.datetime(2026, 5, 6, 9, 0, tzinfo=dt.UTC), tick=False):
        assert rise_customer_escalations() == 1
    escalation.refresh_from_db()
    assert escalation.level == 3
    assert escalation.next_rise_at is None
    assert recipients(escalation, 3) == ["ceo@vendor.test"]
    rose = case.events.filter(kind="customer_escalation_rose").order_by("id")
    assert [event.data["level"] for event in rose] == [2, 3]
    with time_machine.travel(dt.datetime(2026, 6, 1, tzinfo=dt.UTC), tick=False):
        assert rise_customer_escalations() == 0


def test_running_the_rise_twice_tells_each_level_once(cast, case, path):
    with time_machine.travel(MONDAY, tick=False):
        escalation = escalate(cast, case)
    with time_machine.travel(dt.datetime(2026, 5, 4, 19, 0, tzinfo=dt.UTC), tick=False):
        rise_customer_escalations()
        rise_customer_escalations()
    assert CustomerEscalationNotice.objects.filter(escalation=escalation).count() == 2
    assert len(recipients(escalation, 2)) == 1


def test_a_rise_already_noticed_is_not_told_again(cast, case, path):
    """A second worker that finds the level already noticed (the unique constraint) sends
    nothing and writes no event."""
    with time_machine.travel(MONDAY, tick=False):
        escalation = escalate(cast, case)
    CustomerEscalationNotice.objects.create(escalation=escalation, level=2, role="coo")
    with time_machine.travel(dt.datetime(2026, 5, 4, 19, 0, tzinfo=dt.UTC), tick=False):
        rise_customer_escalations()
    assert recipients(escalation, 2) == []
    assert not case.events.filter(kind="customer_escalation_rose").exists()


def test_acknowledging_stops_the_rise_and_tells_the_customer(
    cast, case, path, django_capture_on_commit_callbacks
):
    with time_machine.travel(MONDAY, tick=False):
        escalation = escalate(cast, case)
        with pytest.raises(InvalidInput):
            services.customer_escalation_acknowledge(
                actor=cast.manager, escalation_id=escalation.id, note=""
            )
        with django_capture_on_commit_callbacks(execute=True):
            services.customer_escalation_acknowledge(
                actor=cast.manager,
                escalation_id=escalation.id,
                note="Carla will call you at 2pm with a plan.",
            )
    send_pending_notifications()
    escalation.refresh_from_db()
    assert escalation.status == CustomerEscalation.Status.ACKNOWLEDGED
    assert escalation.next_rise_at is None
    with time_machine.travel(dt.datetime(2026, 5, 8, tzinfo=dt.UTC), tick=False):
        assert rise_customer_escalations() == 0
    update = next(m for m in mail.outbox if m.to == [cast.contact_a.email])
    assert "acknowledged" in update.subject
    assert "Carla will call you at 2pm" in update.body


def test_de_escalating_ends_it_and_a_new_one_can_follow(cast, case, path):
    escalation = escalate(cast, case)
    with pytest.raises(StateConflict, match="already escalated"):
        escalate(cast, case)
    services.customer_escalation_de_escalate(
        actor=cast.engineer, escalation_id=escalation.id, note="Fix deployed; customer agreed."
    )
    escalation.refresh_from_db()
    assert escalation.status == CustomerEscalation.Status.DE_ESCALATED
    assert case.events.filter(kind="customer_escalation_ended", public=True).exists()
    assert escalate(cast, case).level == 1


def test_a_closed_case_stops_its_escalation_from_rising(cast, case, path):
    with time_machine.travel(MONDAY, tick=False):
        escalation = escalate(cast, case)
    services.case_cancel(case_id=case.id, actor=cast.contact_a, reason="Sorted it ourselves.")
    with time_machine.travel(dt.datetime(2026, 5, 5, tzinfo=dt.UTC), tick=False):
        assert rise_customer_escalations() == 0
    escalation.refresh_from_db()
    assert escalation.status == CustomerEscalation.Status.RESOLVED


def test_without_an_account_team_the_support_managers_hear_it(cast, case):
    escalation = escalate(cast, case)
    assert recipients(escalation, 1) == [cast.manager.email]
    assert escalation.level_role == AccountRole.CUSTOMER_SUCCESS_MANAGER


def test_a_tenants_own_path_replaces_the_plans(cast, case, path):
    EscalationLevel.objects.create(
        tenant=cast.tenant_a, level=1, role_id=AccountRole.COO, rise_after="2h"
    )
    escalation = escalate(cast, case)
    assert recipients(escalation, 1) == ["coo@vendor.test"]
    assert escalation.next_rise_at is None  # the tenant's path has one level


def test_rise_times_follow_a_24x7_calendar_in_clock_time(cast, case, path):
    plan = cast.tenant_a.plan
    plan.calendar = Calendar.objects.create(name="24×7", always_open=True, weekly_hours={})
    plan.save()
    saturday = dt.datetime(2026, 5, 9, 3, 0, tzinfo=dt.UTC)
    with time_machine.travel(saturday, tick=False):
        escalation = escalate(cast, case)
    assert escalation.next_rise_at == saturday + dt.timedelta(hours=4)


def test_only_the_customer_escalates_and_only_their_own_cases(cast, case, path):
    with pytest.raises(NotPermitted):
        services.case_escalate_by_customer(case_id=case.id, actor=cast.engineer, reason="x")
    with pytest.raises(NotFound):
        services.case_escalate_by_customer(case_id=case.id, actor=cast.contact_b, reason="x")
    escalation = services.case_escalate_by_customer(
        case_id=case.id, actor=cast.partner_with_letter, reason="Our client is waiting."
    )
    with pytest.raises(NotPermitted):
        services.customer_escalation_acknowledge(
            actor=cast.contact_a, escalation_id=escalation.id, note="ok"
        )


def test_the_portal_escalates_from_the_case_page(cast, case, path, client):
    from tests.factories import PASSWORD

    client.login(username=cast.contact_a.username, password=PASSWORD)
    page = client.get(f"/cases/{case.reference}/").content.decode()
    assert "Escalate this case" in page
    refused = client.post(f"/cases/{case.reference}/escalate/", {"reason": ""})
    assert refused.status_code == 400
    done = client.post(f"/cases/{case.reference}/escalate/", {"reason": "No update."}, follow=True)
    assert "is escalated" in done.content.decode()
    assert "Level 1" in done.content.decode()
    client.logout()
    client.login(username=cast.contact_b.username, password=PASSWORD)
    assert client.post(f"/cases/{case.reference}/escalate/", {"reason": "x"}).status_code == 404


def test_the_queue_flags_escalated_cases_and_lists_escalations(cast, case, path, client):
    from tests.factories import PASSWORD

    escalate(cast, case)
    client.login(username=cast.engineer.username, password=PASSWORD)
    cases_page = client.get("/admin/cases/case/").content.decode()
    assert "⚑ Level 1" in cases_page
    listing = client.get("/admin/cases/customerescalation/?live=yes").content.decode()
    assert case.reference in listing
