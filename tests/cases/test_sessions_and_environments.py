"""Live troubleshooting sessions with a calendar invitation, the tenant environment a
case names, and the survey's "have a manager contact me" going to the account team."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from icalendar import Calendar

from cases import services
from cases.models import EnvironmentAccess, TroubleshootingSession
from notifications.tasks import send_pending_notifications
from supportdesk.errors import InvalidInput, NotFound, NotPermitted, StateConflict
from tenants.models import AccountRole, EnvironmentKind
from tests.factories import (
    PASSWORD,
    AccountTeamMemberFactory,
    CaseFactory,
    EnvironmentFactory,
)

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 5, 4, 14, 0, tzinfo=dt.UTC)


@pytest.fixture
def refused_case(cast):
    return CaseFactory(
        tenant=cast.tenant_a,
        reporter=cast.contact_a,
        owner=cast.engineer,
        environment_access=EnvironmentAccess.REFUSED,
    )


def propose(cast, case, *hours):
    return services.session_propose(
        actor=cast.engineer,
        case_id=case.id,
        starts=[NOW + dt.timedelta(hours=h) for h in hours],
        duration_minutes=45,
        meeting_url="https://meet.example.test/acme",
    )


def test_the_contact_picks_a_time_and_both_sides_get_a_calendar_invitation(
    cast, refused_case, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOW, tick=False):
        session = propose(cast, refused_case, 20, 44)
        later = session.slots.order_by("starts_at").last()
        with django_capture_on_commit_callbacks(execute=True):
            booked = services.session_book(
                actor=cast.contact_a, session_id=session.id, slot_id=later.id
            )
        send_pending_notifications()
    assert booked.status == TroubleshootingSession.Status.BOOKED
    assert booked.starts_at == NOW + dt.timedelta(hours=44)
    invitations = [m for m in mail.outbox if "session booked" in m.subject]
    assert sorted(m.to[0] for m in invitations) == [cast.contact_a.email, cast.engineer.email]
    for message in invitations:
        filename, content, mimetype = message.attachments[0]
        assert filename == "invitation.ics"
        assert mimetype.startswith("text/calendar")
        event = Calendar.from_ical(content).walk("VEVENT")[0]
        assert event.decoded("dtstart") == NOW + dt.timedelta(hours=44)
        assert event.decoded("dtend") == NOW + dt.timedelta(hours=44, minutes=45)
        assert str(event["uid"]).startswith(f"session-{session.id}@")
        attendees = sorted(str(a) for a in event["attendee"])
        assert attendees == sorted(
            [f"mailto:{cast.contact_a.email}", f"mailto:{cast.engineer.email}"]
        )
    assert refused_case.events.filter(kind="session_booked", public=True).exists()


def test_sessions_are_for_cases_whose_customer_refused_access(cast):
    granted = CaseFactory(tenant=cast.tenant_a, reporter=cast.contact_a)
    with time_machine.travel(NOW, tick=False), pytest.raises(InvalidInput, match="allows access"):
        propose(cast, granted, 20)


def test_proposed_times_are_checked(cast, refused_case):
    with time_machine.travel(NOW, tick=False):
        with pytest.raises(InvalidInput, match="future"):
            propose(cast, refused_case, -1)
        with pytest.raises(InvalidInput, match="at most"):
            propose(cast, refused_case, 1, 2, 3, 4, 5, 6)
        propose(cast, refused_case, 20)
        with pytest.raises(StateConflict, match="already has proposed times"):
            propose(cast, refused_case, 30)


def test_only_the_customer_books_and_only_their_own_and_only_future_times(cast, refused_case):
    with time_machine.travel(NOW, tick=False):
        session = propose(cast, refused_case, 2)
    slot = session.slots.get()
    with time_machine.travel(NOW, tick=False):
        with pytest.raises(NotPermitted):
            services.session_book(actor=cast.engineer, session_id=session.id, slot_id=slot.id)
        with pytest.raises(NotFound):
            services.session_book(actor=cast.contact_b, session_id=session.id, slot_id=slot.id)
        with pytest.raises(NotPermitted):
            services.session_propose(
                actor=cast.contact_a, case_id=refused_case.id, starts=[NOW + dt.timedelta(days=1)]
            )
    with (
        time_machine.travel(NOW + dt.timedelta(hours=3), tick=False),
        pytest.raises(InvalidInput, match="passed"),
    ):
        services.session_book(actor=cast.contact_a, session_id=session.id, slot_id=slot.id)


def test_the_portal_shows_the_proposal_and_books_it(cast, refused_case, client):
    with time_machine.travel(NOW, tick=False):
        session = propose(cast, refused_case, 20)
        client.login(username=cast.contact_a.username, password=PASSWORD)
        page = client.get(f"/cases/{refused_case.reference}/").content.decode()
        assert "Live troubleshooting session" in page
        slot = session.slots.get()
        done = client.post(
            f"/cases/{refused_case.reference}/session/{session.id}/",
            {"slot": slot.id},
            follow=True,
        )
    assert "calendar invitation is on its way" in done.content.decode()


def test_a_case_names_one_of_the_tenants_own_environments(cast):
    sandbox = EnvironmentFactory(tenant=cast.tenant_a, name="UAT", kind=EnvironmentKind.SANDBOX)
    foreign = EnvironmentFactory(tenant=cast.tenant_b, name="Globex prod")
    fields = {
        "actor": cast.contact_a,
        "tenant_id": cast.tenant_a.id,
        "summary": "Export fails",
        "category": "bug",
        "priority": "P3",
        "environment_access": "granted",
    }
    case = services.case_create(**fields, tenant_environment_id=sandbox.id)
    assert case.tenant_environment == sandbox
    assert case.environment == EnvironmentKind.SANDBOX
    with pytest.raises(InvalidInput) as refused:
        services.case_create(**fields, tenant_environment_id=foreign.id)
    assert "tenant_environment_id" in refused.value.field_errors


def test_the_new_case_form_offers_only_the_tenants_environments(cast, client):
    EnvironmentFactory(tenant=cast.tenant_a, name="Acme UAT", kind=EnvironmentKind.SANDBOX)
    EnvironmentFactory(tenant=cast.tenant_b, name="Globex prod")
    client.login(username=cast.contact_a.username, password=PASSWORD)
    page = client.get("/cases/new/").content.decode()
    assert "Acme UAT" in page
    assert "Globex prod" not in page


def test_a_survey_asking_for_a_manager_goes_to_the_account_team(
    cast, django_capture_on_commit_callbacks
):
    AccountTeamMemberFactory(
        tenant=cast.tenant_a,
        role=AccountRole.CUSTOMER_SUCCESS_MANAGER,
        name="Carla CSM",
        email="carla@vendor.test",
    )
    AccountTeamMemberFactory(
        tenant=cast.tenant_a,
        role=AccountRole.CUSTOMER_SUCCESS_DIRECTOR,
        name="Dirk Director",
        email="dirk@vendor.test",
    )
    case = CaseFactory(tenant=cast.tenant_a, reporter=cast.contact_a)
    services.case_cancel(case_id=case.id, actor=cast.contact_a, reason="Not needed.")
    case.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        services.case_answer_survey(
            token=services.survey_token(case),
            service=2,
            timeliness=1,
            quality=2,
            comment="Nobody called back.",
            manager_contact=True,
        )
    send_pending_notifications()
    asks = [m for m in mail.outbox if "asks for a manager" in m.subject]
    assert sorted(m.to[0] for m in asks) == ["carla@vendor.test", "dirk@vendor.test"]
    assert "Nobody called back." in asks[0].body
