"""Linking a case to a known issue tells the case's customers, through the outbox and
within their preferences."""

import datetime as dt

import pytest

from cases import services
from knowledge.models import KnownIssue
from notifications.models import Notification, NotificationPreference
from notifications.rendering import render_email
from tenants.models import NotificationAddress
from tests.cases.helpers import taken
from tests.factories import KnownIssueFactory

pytestmark = pytest.mark.django_db

LINKED = "case.known_issue_linked"


def _link(cast, case, issue) -> None:
    services.case_link_known_issue(case_id=case.id, actor=cast.engineer, known_issue_id=issue.id)


def test_linking_emails_the_customer_side_with_the_issue_stage_and_target(cast):
    NotificationAddress.objects.create(tenant=cast.tenant_a, email="it@acme.test", name="IT")
    issue = KnownIssueFactory(
        title="Export to CSV drops accents",
        stage=KnownIssue.Stage.SCHEDULED,
        target_date=dt.date(2027, 1, 15),
    )
    case = taken(cast)

    _link(cast, case, issue)

    rows = Notification.objects.filter(event=LINKED, case=case)
    assert set(rows.values_list("recipient", flat=True)) == {cast.contact_a.email, "it@acme.test"}
    email = render_email("case_known_issue_linked", rows.first().payload.open()["context"])
    assert email.subject == f"[{case.reference}] Identified as known issue {issue}"
    assert '"Export to CSV drops accents"' in email.text
    assert "Stage: Fix scheduled for release" in email.text
    assert "Target date for the fix: 15 Jan 2027" in email.text
    assert f"/help/known-issues/{issue.id}/" in email.text
    assert issue.internal_notes not in email.text + email.html


def test_a_customer_who_turned_the_kind_off_is_not_told_of_the_link(cast):
    NotificationPreference.objects.create(user=cast.contact_a, event=LINKED, enabled=False)
    case = taken(cast)
    _link(cast, case, KnownIssueFactory())
    assert not Notification.objects.filter(event=LINKED).exists()


def test_a_link_that_fails_writes_no_email(cast):
    issue = KnownIssueFactory()
    case = taken(cast)
    _link(cast, case, issue)
    with pytest.raises(Exception, match="already linked"):
        _link(cast, case, issue)
    assert Notification.objects.filter(event=LINKED).count() == 1
