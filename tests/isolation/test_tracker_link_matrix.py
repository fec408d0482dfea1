"""Who may link a case to a development tracker issue from the staff case page (the
`link_tracker` action): each role against it; a refusal changes nothing, and neither the
action's form nor the tracker link reaches anyone who may not see the staff case page."""

import pytest
from django.test import Client
from django.urls import reverse

from cases import services
from cases.models import Case, CaseEvent
from tenants.roles import Role
from tests.cases.helpers import file_case
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

WORKERS = ("engineer", "triage_lead", "manager")
OUTSIDERS = (
    "anonymous",
    "security",
    "contact_a",
    "contact_b",
    "partner_with_letter",
    "partner_without_letter",
)
URL = "https://github.com/acme/app/issues/42"
LINKED = "https://acme.atlassian.net/browse/OPS-12"


def client_of(cast, role: str) -> Client:
    client = Client()
    if role == "security":
        client.force_login(UserFactory(username="sam@support.test", roles=[Role.SECURITY]))
    elif role != "anonymous":
        client.force_login(getattr(cast, role))
    return client


def state(case: Case) -> tuple:
    fresh = Case.objects.get(id=case.id)
    return (
        fresh.version,
        fresh.tracker_kind,
        fresh.tracker_key,
        fresh.tracker_url,
        CaseEvent.objects.filter(case=case).count(),
    )


def act(client: Client, case: Case):
    url = reverse("admin:cases_case_act", args=[case.id, "link_tracker"])
    return client.post(
        url, {"link_tracker-tracker_url": URL, "link_tracker-expected_version": case.version}
    )


@pytest.mark.parametrize("role", WORKERS)
def test_staff_who_work_cases_link_a_tracker_issue(cast, role):
    case = file_case(cast)
    response = act(client_of(cast, role), case)
    assert response.status_code == 302
    assert Case.objects.get(id=case.id).tracker_key == "acme/app#42"


@pytest.mark.parametrize("role", OUTSIDERS)
def test_everyone_else_is_refused_the_link_and_nothing_changes(cast, role):
    case = file_case(cast)
    services.case_link_tracker(case_id=case.id, actor=cast.engineer, url=LINKED)
    case.refresh_from_db()
    before = state(case)
    client = client_of(cast, role)
    response = act(client, case)
    assert response.status_code in (302, 403, 404)
    if response.status_code == 302:
        assert response["Location"].startswith(reverse("admin:login"))
    assert state(case) == before
    if role == "security":
        return  # Security reads every case page, its tracker link included, and changes none.
    # Nor does the action's form, with the case's current link, show to them.
    form = client.get(reverse("admin:cases_case_act", args=[case.id, "link_tracker"]))
    assert form.status_code in (302, 403, 404)
    assert LINKED not in form.content.decode()
