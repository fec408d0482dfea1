"""The new queue pages open for staff, and their actions and forms call the services."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from cases.models import EnvironmentAccess, TroubleshootingSession
from servicerequests import services
from servicerequests.models import State
from tests.factories import PASSWORD, CaseFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 5, 4, 14, 0, tzinfo=dt.UTC)


def connector(cast, estate):
    return services.service_request_submit(
        actor=cast.contact_a,
        tenant_id=cast.tenant_a.id,
        type_code="connector_installer",
        data={"environment": estate.test.id, "connector": "SAP", "platform": "linux-x64"},
    )


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:servicerequests_servicerequest_changelist",
        "admin:servicerequests_requesttype_changelist",
        "admin:cases_customerescalation_changelist",
        "admin:cases_troubleshootingsession_changelist",
        "admin:cases_troubleshootingsession_add",
        "admin:tenants_environment_changelist",
        "admin:tenants_productflag_changelist",
        "admin:tenants_accountteammember_changelist",
    ],
)
def test_queue_pages_open_for_the_manager(client, cast, estate, url_name):
    connector(cast, estate)
    client.login(username=cast.manager.username, password=PASSWORD)
    assert client.get(reverse(url_name)).status_code == 200


def test_a_request_page_shows_its_details_and_steps(client, cast, estate):
    request = connector(cast, estate)
    client.login(username=cast.engineer.username, password=PASSWORD)
    page = client.get(reverse("admin:servicerequests_servicerequest_change", args=[request.id]))
    assert page.status_code == 200
    assert b"Prepare the installer" in page.content
    assert b"Linux (x64)" in page.content


def test_the_reject_action_calls_the_service_with_the_reason(client, cast, estate):
    request = connector(cast, estate)
    client.login(username=cast.engineer.username, password=PASSWORD)
    url = reverse("admin:servicerequests_servicerequest_changelist")
    client.post(
        url,
        {
            "action": "reject_request",
            "_selected_action": [request.id],
            "apply": "1",
            "action_text": "Use the container image instead.",
        },
    )
    request.refresh_from_db()
    assert request.state == State.REJECTED
    assert request.rejection_reason == "Use the container image instead."


def test_the_open_filter_splits_open_requests_from_done_or_rejected(client, cast, estate):
    still_open = connector(cast, estate)
    rejected = connector(cast, estate)
    services.service_request_reject(
        actor=cast.engineer, request_id=rejected.id, reason="Use the container image."
    )
    client.login(username=cast.engineer.username, password=PASSWORD)
    url = reverse("admin:servicerequests_servicerequest_changelist")

    def listed(choice: str) -> set[int]:
        return {row.id for row in client.get(url, {"open": choice}).context["cl"].result_list}

    assert listed("yes") == {still_open.id}
    assert listed("no") == {rejected.id}


def test_staff_propose_session_times_through_the_admin_form(client, cast):
    case = CaseFactory(
        tenant=cast.tenant_a,
        reporter=cast.contact_a,
        environment_access=EnvironmentAccess.REFUSED,
    )
    client.login(username=cast.engineer.username, password=PASSWORD)
    with time_machine.travel(NOW, tick=False):
        response = client.post(
            reverse("admin:cases_troubleshootingsession_add"),
            {
                "case": case.id,
                "slot_1": "2026-05-05 15:00",
                "slot_2": "2026-05-06 15:00",
                "duration_minutes": "60",
                "meeting_url": "https://meet.example.test/x",
                "note": "Bring the HAR file.",
            },
        )
    assert response.status_code == 302
    session = TroubleshootingSession.objects.get(case=case)
    assert session.slots.count() == 2
    assert case.events.filter(kind="session_proposed").exists()
