"""Following a known issue: who may follow, and the emails a change of stage or target
date, and a resolution, write to the followers' outbox rows (preferences honoured)."""

import datetime as dt

import pytest
from django.db import transaction

from cases import services
from knowledge.models import KnownIssue, KnownIssueFollower
from knowledge.services import known_issue_follow, known_issue_unfollow
from notifications.models import Notification
from notifications.rendering import render_email
from notifications.services import notification_preferences_set
from supportdesk.errors import NotFound, NotPermitted, StateConflict
from tenants.models import AuthorizedContact
from tests.cases.helpers import taken
from tests.factories import KnownIssueFactory

pytestmark = pytest.mark.django_db

FOLLOWED = "known_issue.followed_changed"


def _edit(cast, issue: KnownIssue, **changes: object) -> KnownIssue:
    fields = {
        "title": issue.title,
        "public_summary": issue.public_summary,
        "stage": issue.stage,
        "target_date": issue.target_date,
        **changes,
    }
    return services.known_issue_edit(known_issue_id=issue.id, actor=cast.engineer, **fields)


def _followed_rows(issue: KnownIssue | None = None) -> list[Notification]:
    return list(Notification.objects.filter(event=FOLLOWED).order_by("id"))


def test_a_contact_and_a_partner_member_may_follow_a_known_issue(cast):
    issue = KnownIssueFactory()
    known_issue_follow(known_issue_id=issue.id, user=cast.contact_b)
    known_issue_follow(known_issue_id=issue.id, user=cast.partner_with_letter)
    followers = set(KnownIssueFollower.objects.values_list("user_id", flat=True))
    assert followers == {cast.contact_b.id, cast.partner_with_letter.id}


def test_following_twice_is_refused_and_keeps_one_follower(cast):
    issue = KnownIssueFactory()
    known_issue_follow(known_issue_id=issue.id, user=cast.contact_a)
    with pytest.raises(StateConflict, match="already follow"):
        known_issue_follow(known_issue_id=issue.id, user=cast.contact_a)
    assert KnownIssueFollower.objects.count() == 1


def test_staff_and_people_without_portal_access_cannot_follow(cast):
    issue = KnownIssueFactory()
    with pytest.raises(NotPermitted):
        known_issue_follow(known_issue_id=issue.id, user=cast.engineer)
    with pytest.raises(NotPermitted):
        known_issue_follow(known_issue_id=issue.id, user=cast.partner_without_letter)
    assert not KnownIssueFollower.objects.exists()


def test_a_missing_known_issue_is_not_found(cast):
    with pytest.raises(NotFound):
        known_issue_follow(known_issue_id=9999, user=cast.contact_a)


def test_a_resolved_known_issue_cannot_be_followed(cast):
    issue = KnownIssueFactory(stage=KnownIssue.Stage.RESOLVED)
    with pytest.raises(StateConflict, match="already resolved"):
        known_issue_follow(known_issue_id=issue.id, user=cast.contact_a)


def test_unfollowing_removes_the_follower_and_twice_is_refused(cast):
    issue = KnownIssueFactory()
    known_issue_follow(known_issue_id=issue.id, user=cast.contact_a)
    known_issue_unfollow(known_issue_id=issue.id, user=cast.contact_a)
    assert not KnownIssueFollower.objects.exists()
    with pytest.raises(StateConflict, match="do not follow"):
        known_issue_unfollow(known_issue_id=issue.id, user=cast.contact_a)


def test_a_stage_change_emails_each_follower_in_the_transaction_of_the_change(cast):
    issue = KnownIssueFactory(stage=KnownIssue.Stage.INVESTIGATING)
    known_issue_follow(known_issue_id=issue.id, user=cast.contact_b)
    known_issue_follow(known_issue_id=issue.id, user=cast.partner_with_letter)

    _edit(cast, issue, stage=KnownIssue.Stage.SCHEDULED, target_date=dt.date(2027, 2, 1))

    rows = _followed_rows()
    assert {row.recipient for row in rows} == {
        cast.contact_b.email,
        cast.partner_with_letter.email,
    }
    assert {row.user_id for row in rows} == {cast.contact_b.id, cast.partner_with_letter.id}
    context = rows[0].payload.open()["context"]
    email = render_email("known_issue_followed", context)
    assert email.subject == f"{issue} is now: Fix scheduled for release"
    assert "The target date for the fix is 01 Feb 2027." in email.text
    assert f"/help/known-issues/{issue.id}/" in email.text
    assert "/account/email/" in email.text
    assert issue.internal_notes not in email.text


def test_a_new_target_date_alone_emails_the_followers(cast):
    issue = KnownIssueFactory(stage=KnownIssue.Stage.SCHEDULED, target_date=dt.date(2027, 2, 1))
    known_issue_follow(known_issue_id=issue.id, user=cast.contact_b)
    _edit(cast, issue, target_date=dt.date(2027, 3, 1))
    (row,) = _followed_rows()
    assert row.payload.open()["context"]["target_date"] == "01 Mar 2027"


def test_editing_only_the_text_emails_no_follower(cast):
    issue = KnownIssueFactory()
    known_issue_follow(known_issue_id=issue.id, user=cast.contact_b)
    _edit(cast, issue, public_summary="A clearer workaround.")
    assert _followed_rows() == []


def test_a_change_that_rolls_back_leaves_no_email_for_the_followers(cast):
    issue = KnownIssueFactory(stage=KnownIssue.Stage.INVESTIGATING)
    known_issue_follow(known_issue_id=issue.id, user=cast.contact_b)

    def change_then_fail() -> None:
        with transaction.atomic():
            _edit(cast, issue, stage=KnownIssue.Stage.IN_TESTING)
            raise RuntimeError("the change fails after the emails were written")

    with pytest.raises(RuntimeError):
        change_then_fail()
    assert _followed_rows() == []


def test_resolution_emails_the_followers_with_the_note(cast):
    issue = KnownIssueFactory()
    known_issue_follow(known_issue_id=issue.id, user=cast.contact_b)
    services.known_issue_resolve(
        known_issue_id=issue.id, actor=cast.triage_lead, note="Fixed in release 8.4."
    )
    (row,) = _followed_rows()
    email = render_email("known_issue_followed", row.payload.open()["context"])
    assert email.subject == f"Resolved: {issue}"
    assert "is resolved." in email.text
    assert "Fixed in release 8.4." in email.text


def test_a_follower_who_turned_the_kind_off_gets_no_email(cast):
    issue = KnownIssueFactory(stage=KnownIssue.Stage.INVESTIGATING)
    known_issue_follow(known_issue_id=issue.id, user=cast.contact_a)
    known_issue_follow(known_issue_id=issue.id, user=cast.contact_b)
    notification_preferences_set(user=cast.contact_a, choices={FOLLOWED: False})
    _edit(cast, issue, stage=KnownIssue.Stage.IN_TESTING)
    assert [row.recipient for row in _followed_rows()] == [cast.contact_b.email]


def test_a_removed_contact_hears_no_more_of_the_issue_they_followed(cast):
    issue = KnownIssueFactory(stage=KnownIssue.Stage.INVESTIGATING)
    known_issue_follow(known_issue_id=issue.id, user=cast.contact_b)
    AuthorizedContact.objects.filter(user=cast.contact_b).update(is_active=False)
    _edit(cast, issue, stage=KnownIssue.Stage.IN_TESTING)
    assert _followed_rows() == []


def test_a_follower_whose_case_is_linked_gets_one_email_not_two(cast):
    issue = KnownIssueFactory(stage=KnownIssue.Stage.INVESTIGATING)
    case = taken(cast)
    services.case_link_known_issue(case_id=case.id, actor=cast.engineer, known_issue_id=issue.id)
    known_issue_follow(known_issue_id=issue.id, user=cast.contact_a)
    known_issue_follow(known_issue_id=issue.id, user=cast.contact_b)

    _edit(cast, issue, stage=KnownIssue.Stage.IN_TESTING)

    to_ann = Notification.objects.filter(
        recipient=cast.contact_a.email, event__in=["case.known_issue_stage", FOLLOWED]
    )
    assert list(to_ann.values_list("event", flat=True)) == ["case.known_issue_stage"]
    assert [row.recipient for row in _followed_rows()] == [cast.contact_b.email]


def test_resolution_tells_a_follower_with_a_linked_case_through_the_case_only(cast):
    issue = KnownIssueFactory()
    case = taken(cast)
    services.case_link_known_issue(case_id=case.id, actor=cast.engineer, known_issue_id=issue.id)
    known_issue_follow(known_issue_id=issue.id, user=cast.contact_a)
    services.known_issue_resolve(known_issue_id=issue.id, actor=cast.triage_lead, note="Fixed.")
    events = set(
        Notification.objects.filter(recipient=cast.contact_a.email).values_list("event", flat=True)
    )
    assert "case.closed" in events
    assert FOLLOWED not in events
