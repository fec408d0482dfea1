"""Support staff working cases over the API: each staff verb for each person of the cast,
staff filing a case for a customer's contact, and the same record the staff queue leaves."""

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from cases import services
from cases.models import Case, CaseEvent, Channel, CloseReason, Comment, ContactAttempt, State
from notifications.models import Notification
from tenants.models import AuthorizedContact
from tenants.roles import Role
from tests.api.conftest import error_of
from tests.api.test_cases import CASES, NEW_CASE, if_match, url
from tests.cases.helpers import file_case
from tests.cases.test_lifecycle import in_progress
from tests.factories import ContactFactory, UserFactory

pytestmark = pytest.mark.django_db

STAFF = ("engineer", "triage_lead", "manager")
CUSTOMERS = ("contact_a", "partner_with_letter")
ROLES = (*STAFF, *CUSTOMERS, "anonymous")
ENGINEER_USERNAME = "eve@support.test"


def client_of(api, cast, role: str):
    """Staff call with their session (they get no tokens), customers with a token."""
    if role == "anonymous":
        return api()
    return api(getattr(cast, role), session=role in STAFF)


def as_it_is(case: Case) -> tuple:
    """Everything a refused call must leave alone."""
    case.refresh_from_db()
    return (
        case.state,
        case.owner_id,
        case.priority,
        case.close_reason,
        case.version,
        case.next_due_at,
        list(case.events.values_list("id", flat=True)),
        list(case.comments.values_list("id", flat=True)),
        case.contact_attempts.count(),
    )


def last_event(case: Case) -> CaseEvent:
    return case.events.order_by("-id").first()


def took(case: Case, user) -> None:
    assert (case.state, case.owner) == (State.IN_PROGRESS, user)
    event = last_event(case)
    assert (event.kind, event.from_state, event.to_state) == (
        CaseEvent.Kind.OWNER_CHANGED,
        State.NEW,
        State.IN_PROGRESS,
    )
    assert event.data["owner"] == user.username


def given_to_the_engineer(case: Case, user, cast) -> None:
    assert (case.state, case.owner) == (State.IN_PROGRESS, cast.engineer)
    event = last_event(case)
    assert (event.kind, event.actor, event.data["owner"]) == (
        CaseEvent.Kind.OWNER_CHANGED,
        user,
        ENGINEER_USERNAME,
    )


def reprioritised(case: Case, user) -> None:
    assert case.priority == "P1"
    event = last_event(case)
    assert (event.kind, event.actor) == (CaseEvent.Kind.PRIORITY_CHANGED, user)
    assert event.data == {"previous": "P2", "priority": "P1", "reason": "Production is down"}
    assert event.message == "Priority P2 → P1: Production is down"


def asked_for_information(case: Case, user) -> None:
    assert case.state == State.AWAITING_INFORMATION
    assert case.follow_up_due_at is not None
    event = last_event(case)
    assert (event.kind, event.actor, event.comment.body) == (
        CaseEvent.Kind.CONTACT_ATTEMPT,
        user,
        "Which browser?",
    )
    attempt = case.contact_attempts.get()
    assert (attempt.number, attempt.method, attempt.made_by) == (
        1,
        ContactAttempt.Method.REQUEST_INFO,
        user,
    )


def solution_given(case: Case, user) -> None:
    assert case.state == State.SOLUTION_PROPOSED
    event = last_event(case)
    assert (event.kind, event.message, event.actor) == (
        CaseEvent.Kind.STATE_CHANGED,
        "Solution proposed",
        user,
    )
    assert (event.comment.body, event.comment.public) == ("Update Firefox.", True)


def closed_as_duplicate(case: Case, user) -> None:
    assert (case.state, case.close_reason) == (State.CLOSED, CloseReason.DUPLICATE)
    assert case.closed_at is not None
    event = last_event(case)
    assert (event.kind, event.actor, event.data["reason"]) == (
        CaseEvent.Kind.CLOSED,
        user,
        CloseReason.DUPLICATE,
    )
    assert event.comment.body == "Same as ACME-00009."


# name: (the case it starts from, the body, what the case shows afterwards)
ACTIONS = {
    "take": (file_case, {}, lambda case, user, cast: took(case, user)),
    "assign": (file_case, {"owner": ENGINEER_USERNAME}, given_to_the_engineer),
    "change-priority": (
        in_progress,
        {"priority": "P1", "reason": "Production is down"},
        lambda case, user, cast: reprioritised(case, user),
    ),
    "request-info": (
        in_progress,
        {"body": "Which browser?"},
        lambda case, user, cast: asked_for_information(case, user),
    ),
    "propose-solution": (
        in_progress,
        {"body": "Update Firefox."},
        lambda case, user, cast: solution_given(case, user),
    ),
    "close": (
        in_progress,
        {"reason": "duplicate", "note": "Same as ACME-00009."},
        lambda case, user, cast: closed_as_duplicate(case, user),
    ),
}


def post_action(client, name: str, case: Case, body: dict | None = None, **headers):
    data = ACTIONS[name][1] if body is None else body
    return client.post(url(f"case-{name}", case), data, format="json", **headers)


# Each verb × each person


@pytest.mark.parametrize("role", STAFF)
@pytest.mark.parametrize("name", ACTIONS)
def test_staff_roles_work_a_case_through_each_action(cast, api, name, role):
    starts_from, _, afterwards = ACTIONS[name]
    case = starts_from(cast)
    response = post_action(client_of(api, cast, role), name, case, **if_match(case))
    assert response.status_code == 200, response.json()
    case.refresh_from_db()
    afterwards(case, getattr(cast, role), cast)
    body = response.json()
    assert (body["reference"], body["state"], body["version"]) == (
        case.reference,
        case.state,
        case.version,
    )
    assert response["ETag"] == f'"{case.version}"'


@pytest.mark.parametrize("role", CUSTOMERS)
@pytest.mark.parametrize("name", ACTIONS)
def test_customers_and_partners_are_refused_every_staff_action_and_nothing_changes(
    cast, api, name, role
):
    case = ACTIONS[name][0](cast)
    before = as_it_is(case)
    response = post_action(client_of(api, cast, role), name, case, **if_match(case))
    assert response.status_code == 403, response.json()
    error = error_of(response)
    assert error["code"] == "not_permitted"
    assert error["message"].startswith("Only a support engineer may")
    assert as_it_is(case) == before


@pytest.mark.parametrize("name", ACTIONS)
def test_anonymous_callers_are_401_on_every_staff_action(cast, api, name):
    case = ACTIONS[name][0](cast)
    before = as_it_is(case)
    response = post_action(api(), name, case, **if_match(case))
    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"
    assert as_it_is(case) == before


@pytest.mark.parametrize("name", ACTIONS)
def test_another_tenants_contact_gets_404_on_every_staff_action(cast, api, name):
    case = ACTIONS[name][0](cast)
    before = as_it_is(case)
    response = post_action(api(cast.contact_b), name, case, **if_match(case))
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
    assert as_it_is(case) == before


@pytest.mark.parametrize("name", ACTIONS)
def test_security_staff_see_cases_but_may_not_work_them(cast, api, name):
    officer = UserFactory(username="sam@support.test", roles=[Role.SECURITY])
    case = ACTIONS[name][0](cast)
    before = as_it_is(case)
    response = post_action(api(officer, session=True), name, case, **if_match(case))
    assert response.status_code == 403, response.json()
    assert error_of(response)["code"] == "not_permitted"
    assert as_it_is(case) == before


@pytest.mark.parametrize("name", ACTIONS)
def test_a_stale_version_is_412_and_changes_nothing(cast, api, name):
    case = ACTIONS[name][0](cast)
    stale = if_match(case)
    services.case_comment(case_id=case.id, actor=cast.contact_a, body="Any news?")
    before = as_it_is(case)
    response = post_action(api(cast.manager, session=True), name, case, **stale)
    assert response.status_code == 412
    error = error_of(response)
    assert error["code"] == "precondition_failed"
    assert "changed by someone else" in error["message"]
    assert as_it_is(case) == before


@pytest.mark.parametrize("name", ACTIONS)
def test_staff_actions_require_if_match(cast, api, name):
    case = ACTIONS[name][0](cast)
    before = as_it_is(case)
    response = post_action(api(cast.manager, session=True), name, case)
    assert response.status_code == 428
    assert error_of(response)["code"] == "precondition_required"
    assert as_it_is(case) == before


# Assigning


def test_engineer_may_not_hand_a_case_to_someone_else(cast, api):
    case = file_case(cast)
    before = as_it_is(case)
    response = post_action(
        api(cast.engineer, session=True),
        "assign",
        case,
        {"owner": "tom@support.test"},
        **if_match(case),
    )
    assert response.status_code == 403
    assert error_of(response)["message"] == "Only a triage lead may assign cases to someone else."
    assert as_it_is(case) == before


def test_triage_lead_unassigns_a_case_with_null(cast, api):
    case = in_progress(cast)
    response = post_action(
        api(cast.triage_lead, session=True), "assign", case, {"owner": None}, **if_match(case)
    )
    assert response.status_code == 200, response.json()
    assert response.json()["owner"] is None
    case.refresh_from_db()
    assert (case.owner, case.state) == (None, State.IN_PROGRESS)
    assert (last_event(case).message, last_event(case).data["previous_owner"]) == (
        "Unassigned",
        ENGINEER_USERNAME,
    )


@pytest.mark.parametrize("owner", ["nobody@support.test", "ann@acme.test", "sam@support.test"])
def test_owner_must_be_support_staff_by_username(cast, api, owner):
    UserFactory(username="sam@support.test", roles=[Role.SECURITY])
    case = file_case(cast)
    before = as_it_is(case)
    response = post_action(
        api(cast.triage_lead, session=True), "assign", case, {"owner": owner}, **if_match(case)
    )
    assert response.status_code == 400
    error = error_of(response)
    assert list(error["fields"]) == ["owner"]
    assert owner in error["fields"]["owner"][0]
    assert as_it_is(case) == before


@pytest.mark.parametrize("owner", [ENGINEER_USERNAME, "nobody@support.test"])
def test_customers_cannot_probe_staff_usernames_through_assign(cast, api, owner):
    case = file_case(cast)
    response = post_action(api(cast.contact_a), "assign", case, {"owner": owner}, **if_match(case))
    assert response.status_code == 403
    assert error_of(response)["message"] == "Only a support engineer may work cases."


# Priority and closure input


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"priority": "P1", "reason": " "}, "reason"),
        ({"priority": "P9", "reason": "Urgent"}, "priority"),
        ({"priority": "P1"}, "reason"),
    ],
)
def test_priority_change_needs_a_plan_priority_and_a_reason(cast, api, body, field):
    case = in_progress(cast)
    before = as_it_is(case)
    response = post_action(
        api(cast.engineer, session=True), "change-priority", case, body, **if_match(case)
    )
    assert response.status_code == 400
    assert field in error_of(response)["fields"]
    assert as_it_is(case) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reason": "known_issue_resolved", "note": "Fixed"}, "reason"),
        ({"reason": "duplicate", "note": ""}, "note"),
        ({"reason": "duplicate"}, "note"),
    ],
)
def test_closing_needs_a_staff_reason_and_a_note(cast, api, body, field):
    case = in_progress(cast)
    before = as_it_is(case)
    response = post_action(api(cast.engineer, session=True), "close", case, body, **if_match(case))
    assert response.status_code == 400
    assert field in error_of(response)["fields"]
    assert as_it_is(case) == before


def test_closing_a_closed_case_is_a_conflict(cast, api):
    case = in_progress(cast)
    client = api(cast.engineer, session=True)
    assert post_action(client, "close", case, **if_match(case)).status_code == 200
    response = post_action(client, "close", case, **if_match(case))
    assert response.status_code == 409
    assert error_of(response)["code"] == "conflict"


def test_customer_may_reopen_a_case_staff_closed(cast, api):
    case = in_progress(cast)
    post_action(api(cast.engineer, session=True), "close", case, **if_match(case))
    response = api(cast.contact_a).post(
        url("case-reopen", case), {"reason": "Not a duplicate"}, **if_match(case)
    )
    assert response.status_code == 200
    assert response.json()["state"] == "in_progress"


# Notes and replies


@pytest.mark.parametrize("role", STAFF)
def test_staff_add_an_internal_note_the_customer_never_sees(cast, api, role):
    case = in_progress(cast)
    response = client_of(api, cast, role).post(
        url("case-comments", case), {"body": "Suspect the export worker.", "public": False}
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["public"], response.json()["by_support"]) == (False, True)
    note = Comment.objects.get(body="Suspect the export worker.")
    assert (note.public, note.by_staff, note.author) == (False, True, getattr(cast, role))
    assert last_event(case).public is False
    case.refresh_from_db()
    assert case.first_responded_at is None  # a note is not a response to the customer
    customer = api(cast.contact_a)
    bodies = [c["body"] for c in customer.get(url("case-comments", case)).json()["results"]]
    assert "Suspect the export worker." not in bodies
    kinds = [e["message"] for e in customer.get(url("case-events", case)).json()["results"]]
    assert "Internal note" not in kinds


@pytest.mark.parametrize("role", STAFF)
def test_staff_public_reply_is_the_initial_response(cast, api, role):
    case = in_progress(cast)
    response = client_of(api, cast, role).post(
        url("case-comments", case), {"body": "We can reproduce it."}, format="json"
    )
    assert response.status_code == 201
    case.refresh_from_db()
    assert case.first_responded_at is not None
    bodies = [
        c["body"] for c in api(cast.contact_a).get(url("case-comments", case)).json()["results"]
    ]
    assert "We can reproduce it." in bodies


# Filing for a contact


def contact_id(user, tenant) -> int:
    return AuthorizedContact.objects.get(user=user, tenant=tenant).id


def staff_filing(cast, **extra) -> dict:
    return {
        **NEW_CASE,
        "tenant": cast.tenant_a.id,
        "reporter": contact_id(cast.contact_a, cast.tenant_a),
        **extra,
    }


@pytest.mark.parametrize("role", STAFF)
def test_staff_log_a_phone_case_for_a_contact(cast, api, role):
    staff = getattr(cast, role)
    response = api(staff, session=True).post(CASES, staff_filing(cast), format="json")
    assert response.status_code == 201, response.json()
    case = Case.objects.get()
    assert (case.tenant, case.reporter, case.partner, case.channel, case.priority) == (
        cast.tenant_a,
        cast.contact_a,
        None,
        Channel.PHONE,
        "P2",
    )
    created = case.events.get()
    assert (created.kind, created.actor, created.message) == (
        CaseEvent.Kind.CREATED,
        staff,
        "Filed via Phone at P2",
    )
    body = response.json()
    assert (body["channel"], body["reporter"]["name"]) == ("phone", cast.contact_a.get_full_name())
    assert response["Location"].endswith(f"/api/v1/cases/{case.reference}/")
    # The contact sees it as their own case.
    assert api(cast.contact_a).get(url("case", case)).status_code == 200


def test_staff_must_name_the_reporter(cast, api):
    filing = staff_filing(cast)
    del filing["reporter"]
    response = api(cast.engineer, session=True).post(CASES, filing, format="json")
    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["reporter"]
    assert not Case.objects.exists()


def _removed_contact(cast) -> int:
    contact = ContactFactory(tenant=cast.tenant_a, is_active=False)
    return contact.id


def _uncertified_contact(cast) -> int:
    return ContactFactory(tenant=cast.tenant_a, certification="").id


def _future_contact(cast) -> int:
    return ContactFactory(tenant=cast.tenant_a, effective_from=dt.date(2099, 1, 1)).id


@pytest.mark.parametrize(
    "reporter",
    [
        lambda cast: contact_id(cast.contact_b, cast.tenant_b),  # another customer's contact
        lambda cast: 999_999,  # no contact at all
        _removed_contact,
        _uncertified_contact,  # a contact without a recorded certification
        _future_contact,  # access not started yet
    ],
    ids=["other-tenant", "unknown", "removed", "uncertified", "not-yet-effective"],
)
def test_reporter_must_be_an_authorized_contact_of_the_customer(cast, api, reporter):
    response = api(cast.engineer, session=True).post(
        CASES, staff_filing(cast, reporter=reporter(cast)), format="json"
    )
    assert response.status_code == 400, response.json()
    error = error_of(response)
    assert list(error["fields"]) == ["reporter"]
    assert error["message"] == "The reporter must be an authorized contact of the customer."
    assert not Case.objects.exists()
    cast.tenant_a.refresh_from_db()
    assert cast.tenant_a.last_case_number == 0


def test_staff_filing_for_an_unknown_customer_is_404(cast, api):
    response = api(cast.engineer, session=True).post(
        CASES, staff_filing(cast, tenant=999_999), format="json"
    )
    assert response.status_code == 404
    assert not Case.objects.exists()


@pytest.mark.parametrize("role", CUSTOMERS)
def test_customers_and_partners_may_not_name_a_reporter(cast, api, role):
    colleague = ContactFactory(tenant=cast.tenant_a)
    for reporter in (colleague.id, contact_id(cast.contact_a, cast.tenant_a), 999_999):
        response = api(getattr(cast, role)).post(
            CASES, {**NEW_CASE, "reporter": reporter}, format="json"
        )
        assert response.status_code == 403, response.json()
        error = error_of(response)
        assert error["code"] == "not_permitted"
        assert error["message"] == "Only a support engineer may work cases."
    assert not Case.objects.exists()


def test_security_staff_may_not_log_cases(cast, api):
    officer = UserFactory(username="sam@support.test", roles=[Role.SECURITY])
    response = api(officer, session=True).post(CASES, staff_filing(cast), format="json")
    assert response.status_code == 403
    assert not Case.objects.exists()


def test_anonymous_caller_may_not_file(cast, api):
    response = api().post(CASES, staff_filing(cast), format="json")
    assert response.status_code == 401
    assert not Case.objects.exists()


# The same record as the staff queue


ADMIN_FORMS = {
    "take": ("take", {}),
    "assign": ("assign", {"owner": "engineer"}),
    "change-priority": ("change_priority", {"priority": "P1", "reason": "Production is down"}),
    "request-info": ("request_info", {"body": "Which browser?"}),
    "propose-solution": ("propose_solution", {"body": "Update Firefox."}),
    "close": ("close", {"reason": "duplicate", "note": "Same as ACME-00009."}),
}
NOT_COMPARED = {"id", "number", "reference"}


def record(case: Case, since: int) -> dict:
    """What the action left: the case's fields, its timeline, its comments and the mail
    it queued (ids and the reference differ between two cases; nothing else may)."""
    case.refresh_from_db()
    fields = {
        f.attname: getattr(case, f.attname)
        for f in Case._meta.concrete_fields
        if f.attname not in NOT_COMPARED
    }
    events = [
        (e.kind, e.message, e.from_state, e.to_state, e.public, e.actor_id, e.data)
        for e in case.events.order_by("id")
    ]
    comments = [
        (c.body, c.public, c.by_staff, c.author_id, c.channel) for c in case.comments.order_by("id")
    ]
    mail = sorted(
        (n.recipient, n.event, n.template) for n in Notification.objects.filter(id__gt=since)
    )
    return {"fields": fields, "events": events, "comments": comments, "mail": mail}


def _last_mail_id() -> int:
    return Notification.objects.order_by("-id").values_list("id", flat=True).first() or 0


@pytest.mark.parametrize("name", ACTIONS)
def test_each_action_leaves_the_same_record_as_the_staff_queue(cast, api, name):
    starts_from = ACTIONS[name][0]
    admin_name, form = ADMIN_FORMS[name]
    if "owner" in form:
        form = {"owner": cast.engineer.pk}
    results = []
    with time_machine.travel(dt.datetime(2026, 3, 3, 10, 0, tzinfo=dt.UTC), tick=False):
        admin = Client()
        admin.force_login(cast.triage_lead)
        for via in ("admin", "api"):
            case = starts_from(cast)
            since = _last_mail_id()
            if via == "admin":
                data = {f"{admin_name}-{field}": value for field, value in form.items()}
                data[f"{admin_name}-expected_version"] = case.version
                response = admin.post(
                    reverse("admin:cases_case_act", args=[case.id, admin_name]), data
                )
                assert response.status_code == 302, response.content
            else:
                response = post_action(
                    api(cast.triage_lead, session=True), name, case, **if_match(case)
                )
                assert response.status_code == 200, response.json()
            results.append(record(case, since))
    by_admin, by_api = results
    assert by_api == by_admin
    assert by_api["events"]  # the comparison saw the timeline


OWNERS = reverse("api:case-owners")


@pytest.mark.parametrize("role", STAFF)
def test_staff_list_who_may_own_a_case_with_the_username_assign_takes(api, cast, role):
    security = UserFactory(username="sec@support.test", roles=[Role.SECURITY])
    response = client_of(api, cast, role).get(OWNERS)
    assert response.status_code == 200
    owners = {person["username"]: person["role"] for person in response.json()}
    assert owners == {
        "eve@support.test": Role.ENGINEER.value,
        "tom@support.test": Role.TRIAGE_LEAD.value,
        "meg@support.test": Role.MANAGER.value,
    }
    assert security.username not in owners, "Security owns no cases"


@pytest.mark.parametrize(("role", "status"), [(r, 403) for r in CUSTOMERS] + [("anonymous", 401)])
def test_customers_cannot_list_support_staff(api, cast, role, status):
    response = client_of(api, cast, role).get(OWNERS)
    assert response.status_code == status
    assert "support.test" not in response.content.decode()
