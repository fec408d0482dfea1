"""The staff home (/admin/): each role's lists, in the order work is taken, bounded, with
counts that link to the queue filtered to what they count; and its query budget."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from cases import services
from cases.home import my_open_cases
from cases.models import Case, CustomerEscalation, State
from servicerequests import services as sr_services
from tenants.models import AccountRole
from tenants.roles import Role, is_support_staff
from tests.cases.helpers import file_case, reply_as_customer, reply_as_staff, request_info, taken
from tests.factories import (
    AccountTeamMemberFactory,
    CaseFactory,
    EnvironmentFactory,
    RequestTypeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

HOME = reverse("admin:index")
NOW = dt.datetime(2026, 4, 7, 15, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def csm(cast):
    """A support engineer who is Acme's customer success manager."""
    user = UserFactory(username="carla@support.test", roles=[Role.ENGINEER])
    AccountTeamMemberFactory(
        tenant=cast.tenant_a, role=AccountRole.CUSTOMER_SUCCESS_MANAGER, user=user
    )
    return user


@pytest.fixture
def security():
    return UserFactory(username="sam@support.test", roles=[Role.SECURITY])


def home(client, user):
    client.force_login(user)
    response = client.get(HOME)
    assert response.status_code == 200
    return response


def panel(response, key):
    """The panel of the home with this key, or None where the role does not get it."""
    return next((p for p in response.context["panels"] if p.key == key), None)


def references(found_panel) -> list[str]:
    return [re.search(r">([A-Z]+-\d+)<", str(row[0])).group(1) for row in found_panel.rows]


def cards(response) -> dict[str, tuple[str, str]]:
    return {card.label: (card.count, card.url) for card in response.context["cards"]}


def owned(cast, owner, *, due_in: dt.timedelta | None, state=State.IN_PROGRESS, tenant=None):
    return CaseFactory(
        tenant=tenant or cast.tenant_a,
        state=state,
        owner=owner,
        next_due_at=None if due_in is None else NOW + due_in,
        closed_at=NOW if state == State.CLOSED else None,
        close_reason="resolved" if state == State.CLOSED else "",
    )


# My open cases


def test_my_open_cases_come_breached_first_then_at_risk_then_by_due_then_without_clock(
    client, cast
):
    no_clock = owned(cast, cast.engineer, due_in=None)
    later = owned(cast, cast.engineer, due_in=dt.timedelta(hours=30))
    at_risk = owned(cast, cast.engineer, due_in=dt.timedelta(minutes=30))
    breached = owned(cast, cast.engineer, due_in=-dt.timedelta(hours=2), tenant=cast.tenant_b)
    owned(cast, cast.engineer, due_in=None, state=State.CLOSED)
    owned(cast, cast.triage_lead, due_in=-dt.timedelta(hours=5))
    response = home(client, cast.engineer)
    mine = panel(response, "my-cases")
    assert references(mine) == [
        breached.reference,
        at_risk.reference,
        later.reference,
        no_clock.reference,
    ]
    assert "overdue" in str(mine.rows[0][4])
    assert "sd-due-at_risk" in str(mine.rows[1][4])
    counts = cards(response)
    assert counts["My open cases"] == ("4", "/admin/cases/case/?owner=mine")
    assert counts["Breached"] == ("1", "/admin/cases/case/?owner=mine&sla=breached")
    assert counts["At risk"] == ("1", "/admin/cases/case/?owner=mine&sla=at_risk")


def test_home_lists_ten_cases_and_counts_stop_at_a_hundred(client, cast):
    for _ in range(103):
        owned(cast, cast.engineer, due_in=-dt.timedelta(hours=1))
    owned(cast, cast.engineer, due_in=dt.timedelta(minutes=10))
    response = home(client, cast.engineer)
    assert len(panel(response, "my-cases").rows) == 10
    counts = cards(response)
    assert counts["My open cases"][0] == "100+"
    assert counts["Breached"][0] == "100+"
    # The first 101 rows are all breached: the at-risk case is counted on its own.
    assert counts["At risk"][0] == "1"


def test_my_cases_and_their_three_counts_are_one_query(cast, django_assert_num_queries):
    for _ in range(3):
        owned(cast, cast.engineer, due_in=dt.timedelta(hours=3))
    assert is_support_staff(cast.engineer)  # the roles are read once per request
    with django_assert_num_queries(1):
        mine = my_open_cases(cast.engineer, NOW)
    assert (mine.total.count, mine.breached.count, mine.at_risk.count) == (3, 0, 0)


# Waiting on me


def test_waiting_on_me_lists_my_cases_where_the_customer_spoke_last(client, cast):
    answered = taken(cast, "We answered last")
    reply_as_staff(cast, answered)
    replied = taken(cast, "Customer replied after us")
    reply_as_staff(cast, replied)
    reply_as_customer(cast, replied)
    untouched = taken(cast, "Nobody answered yet")
    asked = taken(cast, "We wait on the customer")
    request_info(cast, asked)
    internal = taken(cast, "Only an internal note since")
    reply_as_customer(cast, internal)
    services.case_comment(case_id=internal.id, actor=cast.engineer, body="Note", public=False)
    theirs = file_case(cast, "Another engineer's")
    services.case_assign(case_id=theirs.id, actor=cast.triage_lead, owner=cast.triage_lead)
    response = home(client, cast.engineer)
    waiting = panel(response, "waiting")
    assert set(references(waiting)) == {
        replied.reference,
        untouched.reference,
        internal.reference,
    }
    count, url = cards(response)["Waiting on me"]
    assert (count, url) == ("3", "/admin/cases/case/?owner=mine&waiting=us")
    listed = client.get(url)
    assert {case.reference for case in listed.context["cl"].result_list} == set(references(waiting))


# Triage


def test_triage_leads_see_new_unassigned_cases_and_engineers_do_not(client, cast):
    first = file_case(cast, "Nobody's yet", priority="P1")
    second = file_case(cast, "Also nobody's", actor=cast.contact_b, tenant_id=cast.tenant_b.id)
    taken(cast, "Taken")
    assert panel(home(client, cast.engineer), "unassigned") is None
    response = home(client, cast.triage_lead)
    unassigned = panel(response, "unassigned")
    assert references(unassigned) == [first.reference, second.reference]
    assert unassigned.see_all == reverse("admin:cases_case_triage")
    count, url = cards(response)["New, unassigned"]
    assert (count, url) == ("2", "/admin/cases/case/?state=new&owner=unassigned")
    assert len(client.get(url).context["cl"].result_list) == 2


# Escalations


def test_csm_sees_a_level_one_escalation_about_an_unowned_p1(client, cast, csm):
    case = file_case(cast, "Checkout down for everyone", priority="P1")
    services.case_escalate_by_customer(
        case_id=case.id, actor=cast.contact_a, reason="Nobody has called us back."
    )
    response = home(client, csm)
    escalations = panel(response, "customer-escalations")
    assert references(escalations) == [case.reference]
    assert escalations.order < panel(response, "my-cases").order
    row = [str(cell) for cell in escalations.rows[0]]
    assert row[2] == "P1"
    assert "unassigned" in row[3]
    assert "Level 1" in row[4]
    count, url = cards(response)["Escalations for you"]
    assert count == "1"
    listed = client.get(url)
    assert [e.case_id for e in listed.context["cl"].result_list] == [case.id]


def test_escalations_are_listed_only_to_the_account_team_and_managers(client, cast, csm):
    acme = file_case(cast, "Acme's escalated case")
    globex = file_case(cast, "Globex's", actor=cast.contact_b, tenant_id=cast.tenant_b.id)
    services.case_escalate_by_customer(case_id=acme.id, actor=cast.contact_a, reason="Slow.")
    services.case_escalate_by_customer(case_id=globex.id, actor=cast.contact_b, reason="Slow.")
    # Acme's CSM answers for Acme only; Globex's level is the CSM role nobody holds there.
    assert references(panel(home(client, csm), "customer-escalations")) == [acme.reference]
    # Engineers and triage leads on no account team get no escalation list at all.
    assert panel(home(client, cast.engineer), "customer-escalations") is None
    assert panel(home(client, cast.triage_lead), "customer-escalations") is None
    manager_list = panel(home(client, cast.manager), "customer-escalations")
    assert set(references(manager_list)) == {acme.reference, globex.reference}


def test_an_acknowledged_escalation_leaves_the_csms_list(client, cast, csm):
    case = file_case(cast, "Escalated")
    escalation = services.case_escalate_by_customer(
        case_id=case.id, actor=cast.contact_a, reason="Slow."
    )
    services.customer_escalation_acknowledge(
        actor=csm, escalation_id=escalation.id, note="I have it; a call at 4pm."
    )
    assert CustomerEscalation.objects.get().status == CustomerEscalation.Status.ACKNOWLEDGED
    escalations = panel(home(client, csm), "customer-escalations")
    assert escalations.rows == []
    assert cards(home(client, csm))["Escalations for you"][0] == "0"


def test_a_csm_at_another_level_does_not_get_the_escalation(client, cast, csm):
    """An escalation that rose to the COO waits for the COO, not the CSM."""
    case = file_case(cast, "Escalated")
    escalation = services.case_escalate_by_customer(
        case_id=case.id, actor=cast.contact_a, reason="Slow."
    )
    CustomerEscalation.objects.filter(id=escalation.id).update(level=2, level_role="coo")
    assert panel(home(client, csm), "customer-escalations").rows == []


def test_managers_see_cases_escalated_to_management(client, cast):
    case = taken(cast, "Needs management")
    services.case_escalate(case_id=case.id, actor=cast.engineer, reason="Customer threatens")
    file_case(cast, "Not escalated")
    assert panel(home(client, cast.triage_lead), "management-escalations") is None
    response = home(client, cast.manager)
    escalated = panel(response, "management-escalations")
    assert references(escalated) == [case.reference]
    assert cards(response)["Escalated to management"] == ("1", "/admin/cases/case/?escalated=yes")


# Security


def _security_test_request(cast, environment, *, done: list[str], engineer, security):
    request = sr_services.service_request_submit(
        actor=cast.contact_a,
        tenant_id=cast.tenant_a.id,
        type_code="security_testing",
        data={
            "environment": environment.id,
            "scope": "https://acme.example.test",
            "starts_on": "2026-05-10",
            "ends_on": "2026-05-14",
            "testing_organisation": "Redteam Ltd",
            "contact_name": "Rita Red",
            "contact_email": "rita@redteam.test",
        },
    )
    if done:
        sr_services.service_request_start(actor=engineer, request_id=request.id)
    for step in done:
        sr_services.service_request_step_done(
            actor=security if step.startswith("security") else engineer,
            request_id=request.id,
            step_code=step,
        )
    return request


def test_security_sees_the_requests_waiting_for_its_approval_or_sign_off(client, cast, security):
    RequestTypeFactory(code="security_testing", plans=[cast.tenant_a.plan])
    environment = EnvironmentFactory(tenant=cast.tenant_a, name="Production")
    make = dict(environment=environment, engineer=cast.engineer, security=security)
    _security_test_request(cast, done=[], **make)  # submitted: an engineer takes it first
    in_review = _security_test_request(cast, done=[], **make)
    sr_services.service_request_start(actor=cast.engineer, request_id=in_review.id)
    approval = _security_test_request(cast, done=["review"], **make)
    sign_off = _security_test_request(cast, done=["review", "security_approval"], **make)
    response = home(client, security)
    approvals = panel(response, "security-approvals")
    listed = [re.search(r">([A-Z]+-R\d+)<", str(row[0])).group(1) for row in approvals.rows]
    assert sorted(listed) == sorted([approval.reference, sign_off.reference])
    assert {row[3] for row in approvals.rows} == {
        "Security approval of scope and dates",
        "Security sign-off of the authorization",
    }
    count, url = cards(response)["Approvals for Security"]
    assert count == "2"
    assert {r.id for r in client.get(url).context["cl"].result_list} == {approval.id, sign_off.id}
    # Security works no case: no case lists; engineers get no approvals.
    assert panel(response, "my-cases") is None
    assert panel(home(client, cast.engineer), "security-approvals") is None


# The rest of the page


def test_the_models_and_the_desk_links_stay_below_the_lists(client, cast):
    body = home(client, cast.manager).content.decode()
    assert body.index('id="home-my-cases"') < body.index("Queue and configuration")
    assert reverse("admin:tenants_supportplan_changelist") in body
    assert reverse("admin:cases_case_dashboard") in body
    assert "Recent actions" not in body


def test_staff_without_a_role_get_no_lists_only_the_models_they_may_open(client):
    nobody = UserFactory(username="nora@support.test", roles=[], second_step=True)
    nobody.is_staff = True
    nobody.save(update_fields=["is_staff"])
    response = home(client, nobody)
    assert response.context["panels"] == []
    assert "Nothing waits for your role here" in response.content.decode()


# Every admin request also reads the staff user's time zone (one query).
@pytest.mark.parametrize(
    ("role", "budget"),
    [("engineer", 12), ("triage_lead", 14), ("manager", 17), ("csm", 14), ("security", 9)],
)
def test_home_query_budget_per_role(
    client, cast, csm, security, role, budget, django_assert_max_num_queries
):
    """Every list full (more than ten rows, so each is counted too): the page costs the
    same number of queries whatever the desk holds."""
    people = {
        "engineer": cast.engineer,
        "triage_lead": cast.triage_lead,
        "manager": cast.manager,
        "csm": csm,
        "security": security,
    }
    user = people[role]
    for tenant in (cast.tenant_a, cast.tenant_b):
        for hours in range(12):
            owned(cast, user, due_in=dt.timedelta(hours=hours - 3), tenant=tenant)
            owned(cast, None, due_in=dt.timedelta(hours=hours), state=State.NEW, tenant=tenant)
    for case in Case.objects.filter(owner=None)[:12]:
        CustomerEscalation.objects.create(
            case=case,
            raised_by=cast.contact_a,
            reason="Slow",
            level=1,
            level_role="csm",
            level_since=NOW,
            next_rise_at=NOW + dt.timedelta(hours=4),
        )
    Case.objects.filter(owner=user).update(escalated_at=NOW)
    client.force_login(user)
    with django_assert_max_num_queries(budget):
        response = client.get(HOME)
    assert response.status_code == 200
