"""Cases over the API: every endpoint, and every refusal, for each person of the cast."""

import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cases import services
from cases.models import Attachment, Case, CaseEvent, Channel, Comment, State
from tests.api.conftest import error_of
from tests.cases.helpers import file_case
from tests.cases.test_lifecycle import in_progress, solution_proposed
from tests.factories import PNG_BYTES

pytestmark = pytest.mark.django_db

CASES = reverse("api:cases")
NEW_CASE = {
    "summary": "Invoices export fails with a timeout",
    "category": "bug",
    "priority": "P2",
    "environment_access": "granted",
    "business_impact": "high",
    "environment": "sandbox",
    "users_affected": 40,
    "steps_to_reproduce": "Open Billing, click Export.",
}


def url(name: str, case: Case, **kwargs: object) -> str:
    return reverse(f"api:{name}", kwargs={"reference": case.reference, **kwargs})


def if_match(case: Case) -> dict[str, str]:
    case.refresh_from_db()
    return {"HTTP_IF_MATCH": f'"{case.version}"'}


# Filing


def test_contact_files_a_case_as_json_and_gets_it_back_with_etag_and_location(cast, api):
    response = api(cast.contact_a).post(CASES, NEW_CASE, format="json")
    assert response.status_code == 201, response.json()
    case = Case.objects.get()
    assert case.channel == Channel.API
    assert (case.tenant, case.reporter, case.business_impact, case.environment) == (
        cast.tenant_a,
        cast.contact_a,
        2,
        2,
    )
    body = response.json()
    assert body["reference"] == "ACME-00001"
    assert body["business_impact"] == "high"
    assert body["environment"] == "sandbox"
    assert body["state"] == "new"
    assert body["close_reason"] is None
    assert response["ETag"] == f'"{case.version}"'
    assert response["Location"].endswith(f"/api/v1/cases/{case.reference}/")


def test_case_filed_with_attachments_as_multipart(cast, api):
    files = [
        SimpleUploadedFile("error.log", b"504 Gateway Timeout", "text/plain"),
        SimpleUploadedFile("screen.png", PNG_BYTES, "image/png"),
    ]
    response = api(cast.contact_a).post(
        CASES, {**NEW_CASE, "attachments": files}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    assert sorted(Attachment.objects.values_list("filename", flat=True)) == [
        "error.log",
        "screen.png",
    ]


def test_partner_with_letter_files_for_the_tenant_and_must_name_it_when_acting_for_several(
    cast, api
):
    client = api(cast.partner_with_letter)
    response = client.post(CASES, NEW_CASE, format="json")
    assert response.status_code == 201
    assert Case.objects.get().partner == cast.partner
    # A second letter: now the partner must say which customer.
    from tests.factories import LetterFactory

    LetterFactory(partner=cast.partner, tenant=cast.tenant_b)
    response = client.post(CASES, NEW_CASE, format="json")
    assert response.status_code == 400
    assert "tenant" in error_of(response)["fields"]
    response = client.post(CASES, {**NEW_CASE, "tenant": cast.tenant_b.id}, format="json")
    assert response.status_code == 201
    assert response.json()["tenant"] == {"id": cast.tenant_b.id, "name": "Globex"}


def test_filing_for_another_tenant_is_not_found(cast, api):
    response = api(cast.contact_b).post(
        CASES, {**NEW_CASE, "tenant": cast.tenant_a.id}, format="json"
    )
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
    assert not Case.objects.exists()


def test_bad_intake_is_400_with_field_errors_from_the_service_and_nothing_saved(cast, api):
    response = api(cast.contact_a).post(
        CASES, {**NEW_CASE, "summary": " ", "priority": "P9"}, format="json"
    )
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"summary", "priority"}
    assert not Case.objects.exists()


def test_refused_attachment_is_400_and_files_nothing(cast, api):
    bad = SimpleUploadedFile("tool.exe", b"MZ", "application/octet-stream")
    response = api(cast.contact_a).post(
        CASES, {**NEW_CASE, "attachments": [bad]}, format="multipart"
    )
    assert response.status_code == 400
    assert "attachments" in error_of(response)["fields"]
    assert not Case.objects.exists()


# Listing


def test_list_shows_only_cases_the_caller_may_see(cast, api):
    mine = file_case(cast)
    file_case(cast, actor=cast.contact_b, tenant_id=cast.tenant_b.id)
    refs = [c["reference"] for c in api(cast.contact_a).get(CASES).json()["results"]]
    assert refs == [mine.reference]
    assert api(cast.partner_with_letter).get(CASES).json()["results"][0]["reference"] == (
        mine.reference
    )
    response = api(cast.partner_without_letter).get(CASES)
    assert response.status_code == 403
    assert "no active letter" in error_of(response)["message"]


def test_list_filters_by_status_state_priority_category_search_and_update_time(cast, api):
    with time_machine.travel(dt.datetime(2026, 3, 2, 15, tzinfo=dt.UTC)):
        old = file_case(cast, summary="Old printer jam", priority="P3", category="question")
    with time_machine.travel(dt.datetime(2026, 3, 9, 15, tzinfo=dt.UTC)):
        export = in_progress(cast)
        cancelled = file_case(cast, summary="Nothing to see")
        services.case_cancel(case_id=cancelled.id, actor=cast.contact_a, reason="Fixed itself")
    client = api(cast.contact_a)

    def refs(**params: str) -> list[str]:
        response = client.get(CASES, params)
        assert response.status_code == 200, response.json()
        return sorted(c["reference"] for c in response.json()["results"])

    assert refs() == sorted([old.reference, export.reference, cancelled.reference])
    assert refs(status="open") == sorted([old.reference, export.reference])
    assert refs(status="closed") == [cancelled.reference]
    assert refs(state="in_progress") == [export.reference]
    assert refs(priority="P3") == [old.reference]
    assert refs(category="question") == [old.reference]
    assert refs(search="printer") == [old.reference]
    assert refs(search=export.reference) == [export.reference]
    assert refs(updated_since="2026-03-05T00:00:00Z") == sorted(
        [export.reference, cancelled.reference]
    )
    assert refs(tenant=str(cast.tenant_b.id)) == []


def test_list_pages_with_a_cursor_newest_first(cast, api):
    filed = []
    for day in range(5):
        with time_machine.travel(dt.datetime(2026, 3, 2 + day, 15, tzinfo=dt.UTC)):
            filed.append(file_case(cast).reference)
    client = api(cast.contact_a)
    seen, page = [], client.get(CASES, {"page_size": 2}).json()
    while True:
        seen += [c["reference"] for c in page["results"]]
        if not page["next"]:
            break
        page = client.get(page["next"]).json()
    assert seen == list(reversed(filed))


def test_list_refuses_bad_filters_with_field_errors(cast, api):
    client = api(cast.contact_a)
    for params, field in [
        ({"state": "sleeping"}, "state"),
        ({"tenant": "acme"}, "tenant"),
        ({"updated_since": "yesterday"}, "updated_since"),
        ({"page_size": "1000"}, "page_size"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"colour": "red"}, "colour"),
        ({"search": "a\x00b"}, "search"),
    ]:
        response = client.get(CASES, params)
        assert response.status_code == 400, (params, response.content)
        assert field in error_of(response)["fields"], params


def test_case_list_costs_a_fixed_number_of_queries(cast, api, django_assert_max_num_queries):
    for _ in range(3):
        in_progress(cast)
    client = api(cast.contact_a)
    client.get(CASES)
    for _ in range(7):
        in_progress(cast)
    with django_assert_max_num_queries(10):
        response = client.get(CASES)
    assert len(response.json()["results"]) == 10


# Reading


def test_case_read_carries_etag_and_answers_304_when_unchanged(cast, api):
    case = file_case(cast)
    client = api(cast.contact_a)
    response = client.get(url("case", case))
    assert response.status_code == 200
    body = response.json()
    assert body["summary"] == case.summary
    assert body["sla"]["waiting_on"] == "support"
    etag = response["ETag"]
    assert etag == f'"{case.version}"'
    unchanged = client.get(url("case", case), HTTP_IF_NONE_MATCH=etag)
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    services.case_comment(case_id=case.id, actor=cast.contact_a, body="More detail.")
    assert client.get(url("case", case), HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_reference_is_case_insensitive(cast, api):
    case = file_case(cast)
    response = api(cast.contact_a).get(f"/api/v1/cases/{case.reference.lower()}/")
    assert response.status_code == 200


@pytest.mark.parametrize(
    "name",
    ["case", "case-sla", "case-comments", "case-events", "case-attachments", "case-watchers"],
)
def test_outsiders_get_404_on_every_case_read(cast, api, name):
    case = file_case(cast)
    for outsider in (cast.contact_b, cast.partner_without_letter):
        response = api(outsider).get(url(name, case))
        assert response.status_code in (403, 404)
    response = api(cast.contact_b).get(url(name, case))
    assert response.status_code == 404
    assert error_of(response) == {"code": "not_found", "message": "No such case.", "fields": {}}
    assert api(cast.partner_with_letter).get(url(name, case)).status_code == 200


@pytest.mark.parametrize("name", ["case", "case-comments", "case-sla"])
def test_anonymous_caller_gets_401_with_bearer_challenge(cast, api, name):
    case = file_case(cast)
    response = api().get(url(name, case))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert error_of(response)["code"] == "not_authenticated"


def test_sla_state_shows_due_times_targets_and_whose_move_it_is(cast, api):
    case = in_progress(cast)
    Case.objects.filter(id=case.id).update(
        initial_response_due=dt.datetime(2026, 3, 3, 17, tzinfo=dt.UTC),
        next_due_at=dt.datetime(2026, 3, 3, 17, tzinfo=dt.UTC),
    )
    response = api(cast.contact_a).get(url("case-sla", case))
    assert response.status_code == 200
    body = response.json()
    assert body["applies"] is True
    assert body["waiting_on"] == "support"
    assert body["initial_response_due"] == "2026-03-03T17:00:00Z"
    assert body["next_due_at"] == "2026-03-03T17:00:00Z"
    assert body["targets"] == {
        "initial_response": "nbd",
        "update_interval": "2bd",
        "resolution": "",
        "calendar": "Mon–Fri 9–17 New York",
        "time_zone": "America/New_York",
    }
    services.case_request_info(case_id=case.id, actor=cast.engineer, body="Which browser?")
    assert api(cast.contact_a).get(url("case-sla", case)).json()["waiting_on"] == "customer"


# Conversation and files


def test_reply_is_recorded_from_the_api_and_resumes_a_waiting_case(cast, api):
    case = in_progress(cast)
    services.case_request_info(case_id=case.id, actor=cast.engineer, body="Which browser?")
    response = api(cast.contact_a).post(
        url("case-comments", case), {"body": "Firefox 130."}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["body"] == "Firefox 130."
    comment = Comment.objects.get(body="Firefox 130.")
    assert comment.channel == Channel.API
    case.refresh_from_db()
    assert case.state == State.IN_PROGRESS


def test_reply_with_files_and_the_files_download_as_attachments(cast, api):
    case = file_case(cast)
    client = api(cast.contact_a)
    log = SimpleUploadedFile("trace.log", b"line 1\nline 2\n", "text/plain")
    page = SimpleUploadedFile("evil.html", b"<script>alert(1)</script>", "text/html")
    response = client.post(
        url("case-comments", case),
        {"body": "Logs attached.", "attachments": [log]},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    [attachment] = response.json()["attachments"]
    assert attachment["filename"] == "trace.log"
    download = client.get(attachment["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"line 1\nline 2\n"
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
    listed = client.get(url("case-attachments", case)).json()
    assert [a["filename"] for a in listed] == ["trace.log"]
    # Refused types never get stored; an accepted but active type is served as bytes.
    assert (
        client.post(
            url("case-comments", case), {"body": "x", "attachments": [page]}, format="multipart"
        ).status_code
        == 400
    )


def test_attachment_download_is_404_for_outsiders_and_internal_files(cast, api):
    case = file_case(cast, attachments=[SimpleUploadedFile("a.txt", b"hello", "text/plain")])
    attachment = Attachment.objects.get()
    target = reverse("api:attachment-content", kwargs={"attachment_id": attachment.id})
    assert api(cast.contact_b).get(target).status_code == 404
    assert api().get(target).status_code == 401
    response = api(cast.contact_a).get(target, HTTP_ACCEPT="image/png")
    assert response.status_code == 200
    internal = services.case_comment(
        case_id=case.id,
        actor=cast.engineer,
        body="Internal",
        public=False,
        attachments=[SimpleUploadedFile("b.txt", b"secret", "text/plain")],
    )
    hidden = Attachment.objects.get(comment=internal)
    response = api(cast.contact_a).get(
        reverse("api:attachment-content", kwargs={"attachment_id": hidden.id}),
        HTTP_ACCEPT="image/png",
    )
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert error_of(response)["code"] == "not_found"


def test_customers_see_public_comments_and_events_only(cast, api):
    case = in_progress(cast)
    services.case_comment(case_id=case.id, actor=cast.engineer, body="Internal", public=False)
    services.case_comment(case_id=case.id, actor=cast.engineer, body="Looking at it.")
    client = api(cast.contact_a)
    bodies = [c["body"] for c in client.get(url("case-comments", case)).json()["results"]]
    assert bodies == ["Looking at it."]
    kinds = [e["kind"] for e in client.get(url("case-events", case)).json()["results"]]
    assert kinds == ["created", "owner_changed", "commented"]
    staff = api(cast.engineer, session=True)
    bodies = [c["body"] for c in staff.get(url("case-comments", case)).json()["results"]]
    assert bodies == ["Internal", "Looking at it."]


def test_customer_cannot_write_an_internal_note(cast, api):
    case = file_case(cast)
    response = api(cast.contact_a).post(
        url("case-comments", case), {"body": "psst", "public": False}, format="json"
    )
    assert response.status_code == 403
    assert error_of(response)["message"] == "Internal notes are for support staff."


def test_reply_honours_if_match_when_sent(cast, api):
    case = file_case(cast)
    client = api(cast.contact_a)
    stale = if_match(case)
    services.case_comment(case_id=case.id, actor=cast.engineer, body="We're on it.")
    response = client.post(url("case-comments", case), {"body": "Hi"}, format="json", **stale)
    assert response.status_code == 412
    assert error_of(response)["code"] == "precondition_failed"
    assert not Comment.objects.filter(body="Hi").exists()
    ok = client.post(url("case-comments", case), {"body": "Hi"}, format="json", **if_match(case))
    assert ok.status_code == 201


def test_reply_on_a_closed_case_is_a_conflict(cast, api):
    case = file_case(cast)
    services.case_cancel(case_id=case.id, actor=cast.contact_a, reason="Not needed")
    response = api(cast.contact_a).post(url("case-comments", case), {"body": "Hm"}, format="json")
    assert response.status_code == 409
    assert error_of(response)["code"] == "conflict"


# Lifecycle actions


def test_customer_accepts_a_proposed_solution_with_if_match(cast, api):
    case = solution_proposed(cast)
    client = api(cast.contact_a)
    etag = client.get(url("case", case))["ETag"]
    response = client.post(url("case-accept", case), {"note": "Works now."}, HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["state"], body["close_reason"]) == ("closed", "resolved")
    assert response["ETag"] == f'"{body["version"]}"' != etag


def test_case_actions_require_if_match(cast, api):
    case = solution_proposed(cast)
    response = api(cast.contact_a).post(url("case-accept", case), {}, format="json")
    assert response.status_code == 428
    assert error_of(response)["code"] == "precondition_required"
    case.refresh_from_db()
    assert case.state == State.SOLUTION_PROPOSED


def test_stale_if_match_is_412_and_changes_nothing(cast, api):
    case = solution_proposed(cast)
    client = api(cast.contact_a)
    stale = if_match(case)
    services.case_comment(case_id=case.id, actor=cast.engineer, body="One more thing.")
    response = client.post(url("case-reject", case), {"reason": "Still slow"}, **stale)
    assert response.status_code == 412
    error = error_of(response)
    assert error["code"] == "precondition_failed"
    assert "changed by someone else" in error["message"]
    case.refresh_from_db()
    assert case.state == State.SOLUTION_PROPOSED


def test_if_match_star_acts_on_any_version_and_garbage_is_400(cast, api):
    case = solution_proposed(cast)
    client = api(cast.contact_a)
    response = client.post(url("case-accept", case), {}, HTTP_IF_MATCH="yesterday")
    assert response.status_code == 400
    assert "If-Match" in error_of(response)["fields"]
    assert client.post(url("case-accept", case), {}, HTTP_IF_MATCH="*").status_code == 200


def test_reject_cancel_and_reopen_through_the_api(cast, api):
    case = solution_proposed(cast)
    client = api(cast.partner_with_letter)
    rejected = client.post(
        url("case-reject", case), {"reason": "Still slow"}, format="json", **if_match(case)
    )
    assert rejected.json()["state"] == "in_progress"
    cancelled = client.post(
        url("case-cancel", case), {"reason": "Workaround is enough"}, **if_match(case)
    )
    assert (cancelled.json()["state"], cancelled.json()["close_reason"]) == (
        "closed",
        "cancelled",
    )
    assert cancelled.json()["reopen_until"] is not None
    reopened = client.post(url("case-reopen", case), {"reason": "It's back"}, **if_match(case))
    assert reopened.status_code == 200
    assert reopened.json()["state"] == "in_progress"
    kinds = list(case.events.values_list("kind", flat=True))
    assert kinds[-3:] == [CaseEvent.Kind.STATE_CHANGED, CaseEvent.Kind.CLOSED, "reopened"]


def test_action_in_the_wrong_state_is_409_with_the_reason(cast, api):
    case = file_case(cast)
    response = api(cast.contact_a).post(url("case-accept", case), {}, **if_match(case))
    assert response.status_code == 409
    assert "cannot be closed by accepting a solution" in error_of(response)["message"]


def test_missing_reason_is_400_on_the_reason_field(cast, api):
    case = file_case(cast)
    response = api(cast.contact_a).post(url("case-cancel", case), {"reason": ""}, **if_match(case))
    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["reason"]
    response = api(cast.contact_a).post(url("case-cancel", case), {}, **if_match(case))
    assert response.status_code == 400
    assert "reason" in error_of(response)["fields"]


@pytest.mark.parametrize("action", ["case-request-info", "case-propose-solution"])
def test_staff_only_actions_are_403_for_customers_and_partners(cast, api, action):
    case = in_progress(cast)
    for customer in (cast.contact_a, cast.partner_with_letter):
        response = api(customer).post(url(action, case), {"body": "Try this"}, **if_match(case))
        assert response.status_code == 403
        assert error_of(response)["message"] == "Only a support engineer may do this."
    response = api(cast.contact_b).post(url(action, case), {"body": "x"}, **if_match(case))
    assert response.status_code == 404
    case.refresh_from_db()
    assert case.state == State.IN_PROGRESS


def test_staff_request_info_and_propose_a_solution_with_their_session(cast, api):
    case = in_progress(cast)
    staff = api(cast.engineer, session=True)
    response = staff.post(
        url("case-request-info", case), {"body": "Which browser?"}, **if_match(case)
    )
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "awaiting_information"
    services.case_comment(case_id=case.id, actor=cast.contact_a, body="Firefox")
    response = staff.post(
        url("case-propose-solution", case), {"body": "Update Firefox."}, **if_match(case)
    )
    assert response.json()["state"] == "solution_proposed"
    # Accepting is the customer's move.
    response = staff.post(url("case-accept", case), {}, **if_match(case))
    assert response.status_code == 403


def test_session_writes_need_the_csrf_token(cast):
    from rest_framework.test import APIClient

    from tests.factories import PASSWORD

    case = in_progress(cast)
    client = APIClient(enforce_csrf_checks=True)
    client.login(username=cast.engineer.username, password=PASSWORD)
    response = client.post(url("case-request-info", case), {"body": "x"}, **if_match(case))
    assert response.status_code == 403
    assert "CSRF" in error_of(response)["message"]


# Watchers


def test_watchers_are_added_listed_and_removed(cast, api):
    case = file_case(cast)
    client = api(cast.contact_a)
    response = client.post(
        url("case-watchers", case), {"email": "Ops@Acme.test", "name": "Ops"}, format="json"
    )
    assert response.status_code == 201, response.json()
    watcher = response.json()
    assert watcher["email"] == "ops@acme.test"
    assert [w["email"] for w in client.get(url("case-watchers", case)).json()] == ["ops@acme.test"]
    duplicate = client.post(url("case-watchers", case), {"email": "ops@acme.test"})
    assert duplicate.status_code == 400
    assert "email" in error_of(duplicate)["fields"]
    gone = client.delete(url("case-watcher", case, watcher_id=watcher["id"]))
    assert gone.status_code == 204
    assert client.get(url("case-watchers", case)).json() == []
    again = client.delete(url("case-watcher", case, watcher_id=watcher["id"]))
    assert again.status_code == 404


def test_outsider_cannot_add_or_remove_watchers(cast, api):
    case = file_case(cast)
    watcher = services.case_watcher_add(case_id=case.id, actor=cast.contact_a, email="o@a.test")
    client = api(cast.contact_b)
    assert client.post(url("case-watchers", case), {"email": "x@globex.test"}).status_code == 404
    response = client.delete(url("case-watcher", case, watcher_id=watcher.id))
    assert response.status_code == 404
    assert case.watchers.count() == 1
