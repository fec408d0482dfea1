"""A case's page and every customer verb on it, with each refusal."""

import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape

from cases import services
from cases.models import CaseWatcher, State
from tests.cases.helpers import file_case, taken
from tests.cases.test_lifecycle import in_progress, solution_proposed

pytestmark = pytest.mark.django_db


def url(case, name="case", *args):
    return reverse(f"portal:{name}", args=[case.reference, *args])


def test_case_page_shows_details_and_the_public_timeline_only(client, cast, sign_in):
    case = taken(cast, steps_to_reproduce="Open Billing, click Export.")
    services.case_comment(case_id=case.id, actor=cast.engineer, body="We can reproduce it.")
    services.case_comment(
        case_id=case.id, actor=cast.engineer, body="Internal: blame the cache", public=False
    )
    sign_in(cast.contact_a)
    response = client.get(url(case))
    html = response.content.decode()
    assert response.status_code == 200
    assert case.summary in html
    assert "Open Billing, click Export." in html
    assert "We can reproduce it." in html
    assert "blame the cache" not in html
    assert "Internal note" not in html
    assert "What happens next" in html  # the _due_times include


def test_due_times_render_through_the_include_in_the_tenants_zone(client, cast, sign_in):
    cast.tenant_a.time_zone = "America/New_York"
    cast.tenant_a.save()
    case = file_case(cast)
    case.initial_response_due = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC)
    case.resolution_due = dt.datetime(2026, 11, 30, 22, 0, tzinfo=dt.UTC)
    case.save()
    sign_in(cast.contact_a)
    html = client.get(url(case)).content.decode()
    assert "We will respond by" in html
    assert "Tue 24 Nov, 10:00 EST" in html
    assert "Mon 30 Nov, 17:00 EST" in html
    assert "Times in America/New_York." in html


def test_case_page_explains_how_the_due_times_were_derived(client, cast, sign_in):
    case = file_case(cast)
    case.refresh_from_db()
    assert case.sla_explanation
    sign_in(cast.contact_a)
    html = client.get(url(case)).content.decode()
    assert "How these times were worked out" in html
    for line in case.sla_explanation:
        assert escape(line) in html


def test_outsider_gets_404_on_every_case_url(client, cast, sign_in):
    case = solution_proposed(cast)
    watcher = services.case_watcher_add(case_id=case.id, actor=cast.contact_a, email="w@x.test")
    sign_in(cast.contact_b)
    assert client.get(url(case)).status_code == 404
    for name, args in [
        ("case_reply", ()),
        ("case_accept", ()),
        ("case_reject", ()),
        ("case_cancel", ()),
        ("case_reopen", ()),
        ("case_watcher_add", ()),
        ("case_watcher_remove", (watcher.id,)),
    ]:
        response = client.post(url(case, name, *args), {"body": "x", "reject-reason": "x"})
        assert response.status_code == 404, name
    case.refresh_from_db()
    assert case.state == State.SOLUTION_PROPOSED
    assert case.watchers.count() == 1


def test_unknown_reference_is_404(client, cast, sign_in):
    sign_in(cast.contact_a)
    assert client.get(reverse("portal:case", args=["ACME-99999"])).status_code == 404


def test_reply_with_attachment_lands_on_the_timeline(client, cast, sign_in):
    case = in_progress(cast)
    sign_in(cast.contact_a)
    log = SimpleUploadedFile("trace.log", b"stack trace", content_type="text/plain")
    response = client.post(
        url(case, "case_reply"), {"body": "Here is the log.", "attachments": log}
    )
    comment = case.comments.get()
    assert response.url == url(case) + f"#c{comment.id}"
    html = client.get(url(case)).content.decode()
    assert "Here is the log." in html
    assert "trace.log" in html
    assert reverse("portal:attachment", args=[comment.attachments.get().id]) in html


def test_reply_while_awaiting_information_resumes_the_case(client, cast, sign_in):
    case = in_progress(cast)
    services.case_request_info(case_id=case.id, actor=cast.engineer, body="Which browser?")
    sign_in(cast.contact_a)
    response = client.post(url(case, "case_reply"), {"body": "Firefox 131."}, follow=True)
    case.refresh_from_db()
    assert case.state == State.IN_PROGRESS
    assert "our engineers are back on it" in response.content.decode()


def test_empty_reply_is_refused_on_the_field(client, cast, sign_in):
    case = in_progress(cast)
    sign_in(cast.contact_a)
    response = client.post(url(case, "case_reply"), {"body": "  "})
    assert response.status_code == 400
    assert "Write a message." in response.content.decode()
    assert not case.comments.exists()


def test_reply_to_a_closed_case_is_a_conflict(client, cast, sign_in):
    case = file_case(cast)
    services.case_cancel(case_id=case.id, actor=cast.contact_a, reason="Done.")
    sign_in(cast.contact_a)
    response = client.post(url(case, "case_reply"), {"body": "One more thing"})
    assert response.status_code == 409
    assert "Reopen it to continue" in response.content.decode()


def test_accepting_the_solution_closes_the_case_and_offers_the_survey(client, cast, sign_in):
    case = solution_proposed(cast)
    sign_in(cast.contact_a)
    html = client.get(url(case)).content.decode()
    assert "Does the proposed solution work for you?" in html
    assert "Raise the export timeout to 300 s." in html
    response = client.post(url(case, "case_accept"), {"note": "Works, thanks."}, follow=True)
    case.refresh_from_db()
    assert (case.state, case.close_reason) == (State.CLOSED, "resolved")
    html = response.content.decode()
    assert "How did we do?" in html
    assert "/survey/" in html


def test_rejecting_needs_a_reason_and_sends_the_case_back(client, cast, sign_in):
    case = solution_proposed(cast)
    sign_in(cast.contact_a)
    response = client.post(url(case, "case_reject"), {"reject-reason": ""})
    assert response.status_code == 400
    assert "Tell us why the solution does not work for you." in response.content.decode()
    client.post(url(case, "case_reject"), {"reject-reason": "Still times out."})
    case.refresh_from_db()
    assert case.state == State.IN_PROGRESS


def test_accepting_when_no_solution_is_proposed_is_a_conflict(client, cast, sign_in):
    case = in_progress(cast)
    sign_in(cast.contact_a)
    response = client.post(url(case, "case_accept"), {})
    assert response.status_code == 409
    assert "cannot be closed by accepting a solution" in response.content.decode()


def test_cancel_needs_a_reason_then_closes(client, cast, sign_in):
    case = file_case(cast)
    sign_in(cast.contact_a)
    assert client.post(url(case, "case_cancel"), {"cancel-reason": ""}).status_code == 400
    client.post(url(case, "case_cancel"), {"cancel-reason": "Found the answer."})
    case.refresh_from_db()
    assert case.close_reason == "cancelled"


def test_reopen_within_the_window(client, cast, sign_in):
    case = file_case(cast)
    services.case_cancel(case_id=case.id, actor=cast.contact_a, reason="Done.")
    sign_in(cast.contact_a)
    html = client.get(url(case)).content.decode()
    assert "You can reopen this case until" in html
    client.post(url(case, "case_reopen"), {"reopen-reason": "It is back."})
    case.refresh_from_db()
    assert case.state == State.IN_PROGRESS


def test_reopen_after_the_window_is_refused_and_a_related_case_offered(client, cast, sign_in):
    case = file_case(cast)
    services.case_cancel(case_id=case.id, actor=cast.contact_a, reason="Done.")
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=15)):
        sign_in(cast.contact_a)
        html = client.get(url(case)).content.decode()
        assert "outside the 14-day window" in html
        assert f"?related={case.reference}" in html
        response = client.post(url(case, "case_reopen"), {"reopen-reason": "Back."})
    assert response.status_code == 409
    assert "within 14 days of closure" in response.content.decode()
    case.refresh_from_db()
    assert case.state == State.CLOSED


def test_notification_list_add_and_remove_with_htmx(client, cast, sign_in):
    case = file_case(cast)
    sign_in(cast.contact_a)
    htmx = {"HTTP_HX_REQUEST": "true"}
    response = client.post(
        url(case, "case_watcher_add"),
        {"watcher-email": "boss@acme.test", "watcher-name": "The Boss"},
        **htmx,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert "The Boss" in html
    assert "will be copied on updates" in html
    watcher = CaseWatcher.objects.get(case=case)
    response = client.post(url(case, "case_watcher_remove", watcher.id), **htmx)
    assert "Nobody else is copied yet." in response.content.decode()
    assert not CaseWatcher.objects.exists()


def test_notification_list_refusal_shows_on_the_field(client, cast, sign_in):
    case = file_case(cast)
    sign_in(cast.contact_a)
    response = client.post(
        url(case, "case_watcher_add"), {"watcher-email": "nope"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()
    response = client.post(url(case, "case_watcher_add"), {"watcher-email": "nope"})
    assert response.status_code == 400
    assert "<html" in response.content.decode()


def test_notification_list_works_without_javascript(client, cast, sign_in):
    case = file_case(cast)
    sign_in(cast.contact_a)
    response = client.post(url(case, "case_watcher_add"), {"watcher-email": "ops@acme.test"})
    assert response.url == url(case) + "#notify"
    assert "ops@acme.test" in client.get(url(case)).content.decode()


def test_partner_sees_and_works_the_tenants_cases(client, cast, sign_in):
    case = solution_proposed(cast)
    sign_in(cast.partner_with_letter)
    assert client.get(url(case)).status_code == 200
    client.post(url(case, "case_accept"), {})
    case.refresh_from_db()
    assert case.state == State.CLOSED


# The portal case page (issue 19): session, its cut-off and the user; the tenants the user
# acts for with the contact flag (one read) and the MFA rule's; the case with its plan
# priority; its files, its events with their comments, the survey of its closure; the
# troubleshooting session, the live escalation and the notification list. An open case
# reads no survey but the escalation path beside the escalate button (its levels, and the
# default roles' names when it has none): one more.
PORTAL_CASE_PAGE_QUERIES = 12


def test_portal_case_page_query_budget_does_not_grow_with_the_conversation(
    client, cast, sign_in, django_assert_max_num_queries
):
    case = in_progress(cast)
    sign_in(cast.contact_a)
    for n in range(4):
        services.case_comment(case_id=case.id, actor=cast.engineer, body=f"Update {n}.")
        log = SimpleUploadedFile(f"log{n}.txt", b"trace", content_type="text/plain")
        client.post(url(case, "case_reply"), {"body": f"Log {n}.", "attachments": log})
    client.get(url(case))
    with django_assert_max_num_queries(PORTAL_CASE_PAGE_QUERIES + 1):
        html = client.get(url(case)).content.decode()
    assert "Update 3." in html
    assert "log3.txt" in html
    services.case_cancel(case_id=case.id, actor=cast.contact_a, reason="Found it.")
    client.get(url(case))
    with django_assert_max_num_queries(PORTAL_CASE_PAGE_QUERIES):
        html = client.get(url(case)).content.decode()
    assert "Log 3." in html
    assert "log0.txt" in html
