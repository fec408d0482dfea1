"""The staff case page: intake, timeline, reply, and the buttons its state and role allow."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases import services
from cases.models import Case, CaseEvent, CloseReason, State
from knowledge.models import KnownIssue, ProductFeedback
from tests.cases.helpers import file_case, taken
from tests.factories import PNG_BYTES, CaseFactory, KnownIssueFactory

pytestmark = pytest.mark.django_db

TRANSITION_BUTTONS = {
    "start_work": "take",
    "request_info": "request_info",
    "propose_solution": "propose_solution",
    "close": "close",
}


def page_url(case: Case) -> str:
    return reverse("admin:cases_case_change", args=[case.id])


def open_page(client, user, case: Case):
    client.force_login(user)
    response = client.get(page_url(case))
    assert response.status_code == 200
    return response


def offered(client, user, case: Case) -> set[str]:
    return {action.name for action, _ in open_page(client, user, case).context["offered"]}


def post(client, case: Case, name: str, version: int | None = None, files=None, **fields):
    data = {f"{name}-{field}": value for field, value in fields.items()}
    data[f"{name}-expected_version"] = case.version if version is None else version
    if files:
        data[f"{name}-attachments"] = files
    return client.post(reverse("admin:cases_case_act", args=[case.id, name]), data)


def fresh(case: Case) -> Case:
    case.refresh_from_db()
    return case


# What the page shows


def test_page_shows_intake_and_the_whole_timeline_public_and_internal(client, cast):
    case = taken(cast, steps_to_reproduce="Open Billing, click Export.")
    services.case_comment(case_id=case.id, actor=cast.engineer, body="We can reproduce it.")
    services.case_comment(
        case_id=case.id, actor=cast.engineer, body="Suspect the export worker.", public=False
    )
    html = open_page(client, cast.engineer, case).content.decode()
    assert "Open Billing, click Export." in html
    assert "We can reproduce it." in html
    assert "Suspect the export worker." in html
    assert 'class="sd-badge sd-internal"' in html
    assert "Acme Corp" in html


def test_buttons_for_a_new_case_follow_the_available_transitions(client, cast):
    case = file_case(cast)
    available = {
        t.name
        for t in Case.objects.get(id=case.id).get_available_user_state_transitions(cast.engineer)
    }
    assert available == {"start_work", "close"}
    names = offered(client, cast.engineer, case)
    assert {TRANSITION_BUTTONS[t] for t in available} <= names
    assert not names & {"request_info", "propose_solution", "log_phone_attempt"}


def test_buttons_for_work_in_progress(client, cast):
    names = offered(client, cast.engineer, taken(cast))
    assert {"request_info", "propose_solution", "close", "change_priority", "escalate"} <= names
    assert "take" not in names  # already the engineer's


def test_buttons_while_waiting_on_the_customer(client, cast):
    case = taken(cast)
    services.case_request_info(case_id=case.id, actor=cast.engineer, body="Logs?")
    names = offered(client, cast.engineer, case)
    assert "log_phone_attempt" in names
    assert not names & {"request_info", "propose_solution"}


def test_closed_case_offers_no_actions_but_still_takes_notes(client, cast):
    case = taken(cast)
    services.case_close(case_id=case.id, actor=cast.engineer, reason="resolved", note="Done")
    response = open_page(client, cast.engineer, case)
    assert response.context["offered"] == []
    assert response.context["reply_form"] is not None


def test_role_buttons_show_only_for_the_role(client, cast):
    case = taken(cast)
    engineer = offered(client, cast.engineer, case)
    lead = offered(client, cast.triage_lead, case)
    assert not engineer & {"assign", "merge"}
    assert {"assign", "merge"} <= lead
    services.case_escalate(case_id=case.id, actor=cast.engineer, reason="Key account")
    assert "de_escalate" not in offered(client, cast.triage_lead, case)
    assert "de_escalate" in offered(client, cast.manager, case)


def test_unknown_or_malformed_case_is_404(client, cast):
    client.force_login(cast.engineer)
    assert client.get(reverse("admin:cases_case_change", args=[999999])).status_code == 404
    assert client.get("/admin/cases/case/abc/change/").status_code in (302, 404)


# Each action through the page


def test_take_a_new_case(client, cast):
    case = file_case(cast)
    client.force_login(cast.engineer)
    response = post(client, case, "take")
    assert response.status_code == 302
    assert response["Location"] == page_url(case)
    assert (fresh(case).owner, case.state) == (cast.engineer, State.IN_PROGRESS)


def test_triage_lead_assigns_and_engineer_is_refused_with_403(client, cast):
    case = file_case(cast)
    client.force_login(cast.engineer)
    response = post(client, case, "assign", owner=cast.triage_lead.id)
    assert response.status_code == 403
    assert b"Only a triage lead" in response.content
    assert fresh(case).owner is None
    client.force_login(cast.triage_lead)
    post(client, case, "assign", owner=cast.engineer.id)
    assert fresh(case).owner == cast.engineer


def test_public_reply_with_an_attachment_and_an_internal_note(client, cast):
    case = taken(cast)
    client.force_login(cast.engineer)
    shot = SimpleUploadedFile("trace.png", PNG_BYTES, content_type="image/png")
    response = post(client, case, "reply", visibility="public", body="Fixed?", files=[shot])
    assert response.status_code == 302
    post(client, case, "reply", visibility="internal", body="Between us")
    comments = list(case.comments.values_list("body", "public"))
    assert comments == [("Fixed?", True), ("Between us", False)]
    assert case.comments.first().attachments.get().filename == "trace.png"
    assert fresh(case).first_responded_at is not None


def test_request_info_phone_attempt_and_propose(client, cast):
    case = taken(cast)
    client.force_login(cast.engineer)
    post(client, case, "request_info", body="Please send the HAR file.")
    assert fresh(case).state == State.AWAITING_INFORMATION
    post(client, case, "log_phone_attempt", note="Voicemail")
    assert case.contact_attempts.count() == 2
    services.case_comment(case_id=case.id, actor=cast.contact_a, body="Attached.")
    post(client, fresh(case), "propose_solution", body="Raise the timeout.")
    assert fresh(case).state == State.SOLUTION_PROPOSED


def test_close_with_a_reason_and_a_note(client, cast):
    case = taken(cast)
    client.force_login(cast.engineer)
    post(client, case, "close", reason="outside_cause", note="Your proxy drops the header.")
    assert (fresh(case).state, case.close_reason) == (State.CLOSED, CloseReason.OUTSIDE_CAUSE)


def test_change_priority_needs_a_reason(client, cast):
    case = taken(cast, priority="P3")
    client.force_login(cast.engineer)
    response = post(client, case, "change_priority", priority="P1", reason="")
    assert response.status_code == 400
    assert response.context["open_action"] == "change_priority"
    assert fresh(case).priority == "P3"
    post(client, case, "change_priority", priority="P1", reason="Outage")
    assert fresh(case).priority == "P1"


def test_link_unlink_and_create_known_issue(client, cast):
    case = taken(cast)
    issue = KnownIssueFactory()
    client.force_login(cast.engineer)
    post(client, case, "link_known_issue", known_issue=issue.id)
    assert fresh(case).known_issue == issue
    post(client, case, "unlink_known_issue", reason="Different error")
    assert fresh(case).known_issue is None
    post(
        client,
        case,
        "create_known_issue",
        title="Export worker crashes",
        public_summary="Exports fail; retry later.",
        internal_notes="",
        stage="investigating",
        target_date="",
    )
    created = KnownIssue.objects.get(title="Export worker crashes")
    assert fresh(case).known_issue == created


def test_escalate_and_manager_handles_it(client, cast):
    case = taken(cast)
    client.force_login(cast.engineer)
    post(client, case, "escalate", reason="CEO called")
    assert fresh(case).is_escalated
    client.force_login(cast.manager)
    post(client, case, "de_escalate", note="Agreed a plan with the CEO")
    assert not fresh(case).is_escalated


def test_merge_into_another_case_by_reference(client, cast):
    keep, duplicate = taken(cast), taken(cast)
    client.force_login(cast.triage_lead)
    short = keep.reference.lower().replace("-0000", "-")  # e.g. acme-1
    response = post(client, duplicate, "merge", into=short, note="Same issue")
    assert response.status_code == 302
    assert fresh(duplicate).merged_into == keep
    response = post(client, keep, "merge", into="NOPE-00001", note="x")
    assert response.status_code == 404
    assert b"There is no case NOPE-00001" in response.content


def test_transfer_an_enhancement_request(client, cast):
    case = taken(cast)
    client.force_login(cast.engineer)
    post(
        client,
        case,
        "transfer_enhancement",
        title="Weekly scheduled exports",
        description="Customers want exports on a schedule.",
        note="",
    )
    feedback = ProductFeedback.objects.get()
    assert (feedback.case, feedback.title) == (case, "Weekly scheduled exports")
    assert fresh(case).close_reason == CloseReason.ENHANCEMENT_TRANSFERRED


def test_a_stale_page_gives_a_clear_conflict_and_keeps_the_text(client, cast):
    case = taken(cast, priority="P3")
    stale = case.version
    services.case_change_priority(
        case_id=case.id, actor=cast.triage_lead, priority="P2", reason="x"
    )
    client.force_login(cast.engineer)
    response = post(client, case, "propose_solution", version=stale, body="Clear the cache.")
    assert response.status_code == 409
    html = response.content.decode()
    assert "was changed by someone else" in html
    assert "Clear the cache." in html
    assert fresh(case).state == State.IN_PROGRESS


def test_action_on_a_case_in_the_wrong_state_is_refused_with_the_reason(client, cast):
    case = file_case(cast)
    client.force_login(cast.engineer)
    response = post(client, case, "propose_solution", body="x")
    assert response.status_code == 409
    assert b"cannot be given a proposed solution" in response.content
    assert not CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.STATE_CHANGED).exists()


def test_unknown_action_is_404(client, cast):
    case = file_case(cast)
    client.force_login(cast.engineer)
    assert client.post(reverse("admin:cases_case_act", args=[case.id, "delete"])).status_code == 404


def test_action_forms_are_fetched_when_opened_or_shown_on_a_page_of_their_own(client, cast):
    case = taken(cast)
    client.force_login(cast.engineer)
    page = open_page(client, cast.engineer, case)
    lazy = {action.name: form for action, form in page.context["offered"]}
    assert lazy["close"] is None
    assert f'data-src="/admin/cases/case/{case.id}/act/close/"' in page.content.decode()
    url = reverse("admin:cases_case_act", args=[case.id, "close"])
    fragment = client.get(url, headers={"X-Requested-With": "fetch"})
    html = fragment.content.decode()
    assert "<html" not in html
    assert 'name="close-reason"' in html
    assert f'name="close-expected_version" value="{case.version}"' in html
    assert "csrfmiddlewaretoken" in html
    standalone = client.get(url)
    assert "<html" in standalone.content.decode()
    assert 'name="close-note"' in standalone.content.decode()


def test_next_sends_back_to_a_local_page_only(client, cast):
    case = file_case(cast)
    client.force_login(cast.engineer)
    url = reverse("admin:cases_case_act", args=[case.id, "take"])
    triage = reverse("admin:cases_case_triage")
    response = client.post(url, {"take-expected_version": case.version, "next": triage})
    assert response["Location"] == triage
    other = file_case(cast)
    url = reverse("admin:cases_case_act", args=[other.id, "take"])
    response = client.post(
        url, {"take-expected_version": other.version, "next": "https://evil.example/"}
    )
    assert response["Location"] == page_url(other)


# Attachments


def test_staff_download_attachments_and_customers_cannot_through_admin(client, cast):
    log = SimpleUploadedFile("server.log", b"ERROR timeout\n", content_type="text/plain")
    case = file_case(cast, attachments=[log])
    attachment = case.attachments.get()
    url = reverse("admin:cases_case_attachment", args=[case.id, attachment.id])
    client.force_login(cast.engineer)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"ERROR timeout\n"
    assert "attachment" in response["Content-Disposition"]
    assert (
        client.get(
            reverse("admin:cases_case_attachment", args=[case.id + 1, attachment.id])
        ).status_code
        == 404
    )
    client.force_login(cast.contact_a)
    assert client.get(url).status_code == 302


def test_customer_is_sent_to_the_login_for_a_case_page(client, cast):
    case = CaseFactory(tenant=cast.tenant_a)
    client.force_login(cast.contact_a)
    assert client.get(page_url(case)).status_code == 302
    assert client.post(reverse("admin:cases_case_act", args=[case.id, "take"])).status_code == 302


def test_case_page_queries_do_not_grow_with_the_timeline(
    client, cast, django_assert_max_num_queries
):
    case = taken(cast)
    services.case_comment(case_id=case.id, actor=cast.engineer, body="First look")
    client.force_login(cast.engineer)
    client.get(page_url(case))
    with CaptureQueriesContext(connection) as few:
        client.get(page_url(case))
    for number in range(15):
        shot = SimpleUploadedFile(f"shot{number}.png", PNG_BYTES, content_type="image/png")
        services.case_comment(
            case_id=case.id,
            actor=cast.engineer,
            body=f"Update {number}",
            public=number % 2 == 0,
            attachments=[shot],
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(page_url(case))
    assert b"Update 14" in response.content


def test_triage_queries_do_not_grow_with_the_number_of_cases(
    client, cast, django_assert_max_num_queries
):
    triage = reverse("admin:cases_case_triage")
    file_case(cast)
    client.force_login(cast.triage_lead)
    client.get(triage)
    with CaptureQueriesContext(connection) as few:
        client.get(triage)
    for number in range(20):
        file_case(cast, summary=f"Case {number}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(triage)
    assert len(response.context["rows"]) == 21
