"""Which case events email whom, and what the emails say."""

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail, signing
from django.db import transaction

from cases import services
from cases.models import Case, CaseEvent, ContactAttempt
from cases.notify import notify_case_event, notify_known_issue_stage
from cases.services import automation
from cases.services.common import record_event
from cases.survey_links import SURVEY_SALT
from knowledge.models import KnownIssue
from notifications.models import Notification, NotificationPreference
from notifications.reply_tokens import read_reply_token, token_from_address
from notifications.tasks import send_pending_notifications
from tenants.models import LetterOfAuthorization, NotificationAddress
from tests.cases.helpers import file_case, taken

pytestmark = pytest.mark.django_db


def delivered(clear: bool = True) -> dict[str, list]:
    """Send what is pending and return the messages by recipient."""
    send_pending_notifications()
    by_recipient: dict[str, list] = {}
    for message in mail.outbox:
        by_recipient.setdefault(message.to[0], []).append(message)
    if clear:
        mail.outbox.clear()
    return by_recipient


@pytest.fixture
def notification_list(cast):
    return NotificationAddress.objects.create(
        tenant=cast.tenant_a, email="it-team@acme.test", name="Acme IT"
    )


def test_filed_case_sends_a_receipt_to_the_reporter_and_the_tenant_list(cast, notification_list):
    case = file_case(cast)
    sent = delivered()
    assert set(sent) == {"ann@acme.test", "it-team@acme.test"}
    receipt = sent["ann@acme.test"][0]
    assert receipt.subject == f"[{case.reference}] Invoices export fails with a timeout"
    assert "We have received your case ACME-00001" in receipt.body
    assert f"http://127.0.0.1:8000/cases/{case.reference}/" in receipt.body
    row = Notification.objects.get(recipient="ann@acme.test")
    assert (row.event, row.case_id, row.user_id) == ("case.received", case.id, cast.contact_a.id)


def test_receipt_names_the_first_due_time_the_portal_shows_in_the_tenants_time_zone(client, cast):
    """Filed on Tue 3 Mar 2026 at 10:00 in New York at P2 (next business day on a Mon–Fri
    9–17 New York calendar): the receipt, written by the real filing, promises Wed 4 Mar
    17:00 EST, and so does the portal."""
    cast.tenant_a.time_zone = "America/New_York"
    cast.tenant_a.save()
    with time_machine.travel(dt.datetime(2026, 3, 3, 15, 0, tzinfo=dt.UTC), tick=False):
        case = file_case(cast)
        (receipt,) = delivered()["ann@acme.test"]
        client.force_login(cast.contact_a)
        page = client.get(f"/cases/{case.reference}/").content.decode()
    assert Case.objects.get(id=case.id).initial_response_due == dt.datetime(
        2026, 3, 4, 22, 0, tzinfo=dt.UTC
    )
    assert "You will hear from an engineer by Wed 04 Mar 2026, 17:00 EST." in receipt.body
    assert "as soon as possible" not in receipt.body
    assert '<time datetime="2026-03-04T17:00:00-05:00">' in page


def test_case_from_a_mailing_list_gets_no_acknowledgement_but_the_list_is_told(
    cast, notification_list
):
    file_case(cast, channel="email", acknowledge=False)
    assert set(delivered()) == {"it-team@acme.test"}


def test_staff_public_reply_goes_to_the_customer_side_with_a_reply_address(cast, notification_list):
    case = taken(cast)
    delivered()
    services.case_comment(case_id=case.id, actor=cast.engineer, body="Please try <again>.")
    sent = delivered()
    assert set(sent) == {"ann@acme.test", "it-team@acme.test"}
    (reply,) = sent["ann@acme.test"]
    assert "Please try <again>." in reply.body
    assert "Please try &lt;again&gt;." in reply.alternatives[0][0]
    token = token_from_address(reply.reply_to[0])
    assert read_reply_token(token) == case.id
    assert reply.extra_headers["References"] == "<case.acme-00001@supportdesk.local>"


def test_internal_note_emails_nobody(cast, notification_list):
    case = taken(cast)
    delivered()
    services.case_comment(
        case_id=case.id, actor=cast.engineer, body="Looks like a DB lock", public=False
    )
    assert delivered() == {}


def test_customer_reply_goes_to_the_owner_and_not_back_to_the_customer(cast, notification_list):
    case = taken(cast)
    delivered()
    services.case_comment(case_id=case.id, actor=cast.contact_a, body="Still failing.")
    sent = delivered()
    assert set(sent) == {"eve@support.test"}
    assert "Still failing." in sent["eve@support.test"][0].body
    assert "/admin/cases/case/" in sent["eve@support.test"][0].body


def test_customer_reply_on_an_unowned_case_goes_to_the_triage_leads(cast):
    case = file_case(cast)
    delivered()
    services.case_comment(case_id=case.id, actor=cast.contact_a, body="Any news?")
    assert set(delivered()) == {"tom@support.test"}


def test_information_request_tells_the_customer_what_is_needed(cast):
    case = taken(cast)
    delivered()
    services.case_request_info(case_id=case.id, actor=cast.engineer, body="Which browser?")
    (message,) = delivered()["ann@acme.test"]
    assert "We need some information from you" in message.body
    assert "Which browser?" in message.body
    assert Notification.objects.filter(event="case.info_requested").count() == 1


def test_follow_up_names_the_closure_date(cast):
    case = taken(cast)
    services.case_request_info(case_id=case.id, actor=cast.engineer, body="Which browser?")
    delivered()
    ContactAttempt.objects.create(
        case=case,
        round=1,
        number=2,
        method=ContactAttempt.Method.FOLLOW_UP,
        note="We still need your browser version.",
        closure_date=dt.datetime(2026, 3, 20, 22, 0, tzinfo=dt.UTC),
    )
    record_event(case, None, CaseEvent.Kind.CONTACT_ATTEMPT, message="Follow-up", round=1, number=2)
    (message,) = delivered()["ann@acme.test"]
    assert "If we do not hear from you by Fri 20 Mar 2026, 22:00 UTC" in message.body
    assert "We still need your browser version." in message.body


def test_phone_attempt_as_attempt_two_writes_the_closure_date_to_the_customer(cast):
    case = taken(cast)
    services.case_request_info(case_id=case.id, actor=cast.engineer, body="Which browser?")
    delivered()
    services.case_log_phone_attempt(case_id=case.id, actor=cast.engineer, note="Voicemail")
    attempt = case.contact_attempts.get(number=2)
    sent = delivered()
    assert set(sent) == {"ann@acme.test"}
    (message,) = sent["ann@acme.test"]
    assert "Voicemail" not in message.body
    assert f"{attempt.closure_date:%a %d %b %Y}" in message.body


def test_proposed_solution_and_its_rejection_reach_the_other_side(cast):
    case = taken(cast)
    delivered()
    services.case_propose_solution(case_id=case.id, actor=cast.engineer, body="Raise the timeout.")
    (proposal,) = delivered()["ann@acme.test"]
    assert "proposed a solution" in proposal.body
    assert "Raise the timeout." in proposal.body
    services.case_reject_solution(case_id=case.id, actor=cast.contact_a, reason="Still slow.")
    sent = delivered()
    assert set(sent) == {"eve@support.test"}
    assert "rejected the proposed solution" in sent["eve@support.test"][0].body


def test_closure_email_carries_the_reason_and_the_survey_link(cast, notification_list):
    case = taken(cast)
    delivered()
    services.case_close(
        case_id=case.id, actor=cast.engineer, reason="duplicate", note="Same as ACME-00007."
    )
    sent = delivered()
    case.refresh_from_db()
    assert set(sent) == {"ann@acme.test", "it-team@acme.test"}
    (message,) = sent["ann@acme.test"]
    assert "Case ACME-00001 is now closed (Duplicate)." in message.body
    assert "Same as ACME-00007." in message.body
    # The link is Ann's own (it stops working if she loses access), in both parts.
    link = re.search(r"http\S+/survey/\S+/", message.body)[0]
    assert f'href="{link}"' in message.alternatives[0][0]
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert signing.loads(token, salt=SURVEY_SALT)["to"] == ["u", cast.contact_a.pk]


def test_customer_closing_their_own_case_is_not_emailed_about_it(cast, notification_list):
    case = taken(cast)
    delivered()
    services.case_cancel(case_id=case.id, actor=cast.contact_a, reason="Found the cause.")
    assert set(delivered()) == {"it-team@acme.test"}


def test_assignment_tells_the_new_owner_unless_they_took_it_themselves(cast):
    case = file_case(cast)
    delivered()
    services.case_assign(case_id=case.id, actor=cast.triage_lead, owner=cast.engineer)
    sent = delivered()
    assert set(sent) == {"eve@support.test"}
    assert "assigned ACME-00001" in sent["eve@support.test"][0].body
    other = file_case(cast)
    delivered()
    services.case_assign(case_id=other.id, actor=cast.engineer, owner=cast.engineer)
    assert delivered() == {}


def test_breach_warning_goes_to_the_roles_the_event_names(cast):
    case = taken(cast)
    delivered()
    record_event(
        case,
        None,
        CaseEvent.Kind.SLA_BREACHED,
        public=False,
        notify=["owner", "triage_lead", "manager"],
        metric="initial_response",
        due="2026-03-03T15:00:00+00:00",
    )
    sent = delivered()
    assert set(sent) == {"eve@support.test", "tom@support.test", "meg@support.test"}
    message = sent["meg@support.test"][0]
    assert message.subject.startswith("SLA breached: [ACME-00001]")
    assert "The initial response target of ACME-00001" in message.body
    assert "Tue 03 Mar 2026, 15:00 UTC" in message.body
    assert message.reply_to == []


def test_update_reminder_defaults_to_the_owner(cast):
    case = taken(cast)
    delivered()
    record_event(case, None, CaseEvent.Kind.UPDATE_REMINDER, public=False, metric="update")
    sent = delivered()
    assert set(sent) == {"eve@support.test"}
    assert "next update" in sent["eve@support.test"][0].body


def test_solution_reminder_for_the_customer_uses_the_customer_wording(cast):
    case = taken(cast)
    services.case_propose_solution(case_id=case.id, actor=cast.engineer, body="Raise it.")
    delivered()
    record_event(
        case,
        None,
        CaseEvent.Kind.SOLUTION_REMINDER,
        notify=["customer", "owner"],
        due="2026-03-10T17:00:00+00:00",
    )
    sent = delivered()
    assert set(sent) == {"ann@acme.test", "eve@support.test"}
    assert "we have not heard back from you" in sent["ann@acme.test"][0].body
    assert "still unanswered" in sent["eve@support.test"][0].body


def test_partner_who_filed_is_told_until_the_letter_is_rescinded(cast):
    case = taken(cast, actor=cast.partner_with_letter)
    assert "pat@initech.test" in delivered()
    LetterOfAuthorization.objects.filter(id=cast.letter.id).update(
        status=LetterOfAuthorization.Status.RESCINDED
    )
    services.case_comment(case_id=case.id, actor=cast.engineer, body="An update.")
    assert "pat@initech.test" not in delivered()


def test_reporter_who_lost_access_is_not_emailed(cast, notification_list):
    case = taken(cast)
    delivered()
    cast.contact_a.contacts.update(is_active=False)
    services.case_comment(case_id=case.id, actor=cast.engineer, body="An update.")
    assert set(delivered()) == {"it-team@acme.test"}


def test_preference_off_means_no_mail_for_that_user_only(cast, notification_list):
    NotificationPreference.objects.create(
        user=cast.contact_a, event="case.support_replied", enabled=False
    )
    case = taken(cast)
    delivered()
    services.case_comment(case_id=case.id, actor=cast.engineer, body="An update.")
    assert set(delivered()) == {"it-team@acme.test"}


def test_an_event_notified_twice_sends_once(cast):
    case = taken(cast)
    delivered()
    comment = services.case_comment(case_id=case.id, actor=cast.engineer, body="An update.")
    event = CaseEvent.objects.get(comment=comment)
    notify_case_event(event)
    notify_case_event(event)
    assert len(delivered()["ann@acme.test"]) == 1


def test_known_issue_stage_change_tells_the_customer_the_stage_and_target(cast):
    case = taken(cast)
    delivered()
    issue = KnownIssue.objects.create(
        title="Export times out on large invoices",
        public_summary="Workaround: export by month.",
        stage=KnownIssue.Stage.SCHEDULED,
        target_date=dt.date(2026, 4, 15),
    )
    notify_known_issue_stage(case, issue)
    notify_known_issue_stage(case, issue)
    (message,) = delivered()["ann@acme.test"]
    assert '"Export times out on large invoices", which is now: Fix scheduled' in message.body
    assert "The target date for the fix is 15 Apr 2026." in message.body
    assert "Workaround: export by month." in message.body
    issue.stage = KnownIssue.Stage.RESOLVED
    issue.save()
    notify_known_issue_stage(case, issue)
    assert "The fix is available" in delivered()["ann@acme.test"][0].body


def test_emails_of_a_change_that_rolls_back_are_never_sent(
    cast, django_capture_on_commit_callbacks
):
    case = taken(cast)
    before = Notification.objects.count()

    def reply_then_fail() -> None:
        with transaction.atomic():
            services.case_comment(case_id=case.id, actor=cast.engineer, body="An update.")
            raise RuntimeError("something after the reply failed")

    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        pytest.raises(RuntimeError),
    ):
        reply_then_fail()
    assert Notification.objects.count() == before
    assert callbacks == []


def test_people_on_the_case_notification_list_are_told_of_replies(cast):
    case = taken(cast)
    services.case_watcher_add(
        case_id=case.id, actor=cast.contact_a, email="cfo@acme.test", name="Chief Financial"
    )
    delivered()
    services.case_comment(case_id=case.id, actor=cast.engineer, body="A fix is deploying.")
    sent = delivered()
    assert "cfo@acme.test" in sent
    assert "A fix is deploying." in sent["cfo@acme.test"][0].body


def test_sweeps_email_the_follow_up_and_the_closure_for_no_response(cast):
    with time_machine.travel(dt.datetime(2026, 3, 2, 15, tzinfo=dt.UTC), tick=False):
        case = taken(cast)
        services.case_request_info(case_id=case.id, actor=cast.engineer, body="Logs?")
    delivered()
    later = dt.datetime(2026, 3, 16, 15, tzinfo=dt.UTC)
    with time_machine.travel(later, tick=False):
        assert automation.follow_ups_send(now=later) == 1
        automation.follow_ups_send(now=later)
    attempt = case.contact_attempts.get(number=2)
    sent = delivered()
    assert list(sent) == ["ann@acme.test"]
    assert f"{attempt.closure_date:%a %d %b %Y}" in sent["ann@acme.test"][0].body
    after = attempt.closure_date + dt.timedelta(hours=1)
    with time_machine.travel(after, tick=False):
        assert automation.unanswered_cases_close(now=after) == 1
    sent = delivered()
    assert list(sent) == ["ann@acme.test"]
    assert "closed" in sent["ann@acme.test"][0].body


def test_breach_sweep_warns_the_owner_and_escalates_to_the_managers(cast):
    with time_machine.travel(dt.datetime(2026, 3, 2, 15, tzinfo=dt.UTC), tick=False):
        case = taken(cast, priority="P1")
    case.refresh_from_db()
    delivered()
    after = case.initial_response_due + dt.timedelta(minutes=5)
    with time_machine.travel(after, tick=False):
        automation.sla_alerts_send(now=after)
        automation.sla_alerts_send(now=after)
    sent = delivered()
    assert "SLA breached" in sent["eve@support.test"][0].subject
    assert [m.subject for m in sent["meg@support.test"]] == [
        f"Escalated to you: [{case.reference}] {case.summary}"
    ]
