"""Links to development trackers and their webhooks: a known issue follows its tracker
issue's status (the linked cases' customers are told); a request without the tracker's
shared secret is refused and changes nothing."""

import base64
import hashlib
import hmac
import json

import pytest
from django.core import mail

from cases.models import CaseEvent
from cases.services import case_link_tracker
from knowledge.models import KnownIssue
from knowledge.services import known_issue_link_tracker
from knowledge.trackers import infer_kind, key_from_url, stage_for_status
from notifications.delivery import notifications_deliver_due
from supportdesk.errors import InvalidInput, NotPermitted
from tests.factories import CaseFactory, KnownIssueFactory

pytestmark = pytest.mark.django_db

SECRETS = {"github": "gh-secret", "gitlab": "gl-secret", "jira": "jira-secret", "azure": "az"}
RECEIVER = "/api/v1/tracker-events/{}/"


@pytest.fixture(autouse=True)
def _secrets(settings) -> None:
    settings.TRACKER_WEBHOOK_SECRETS = dict(SECRETS)


@pytest.mark.parametrize(
    ("url", "kind", "key"),
    [
        ("https://github.com/acme/app/issues/42", "github", "acme/app#42"),
        ("https://gitlab.com/acme/tools/app/-/issues/7", "gitlab", "acme/tools/app#7"),
        ("https://acme.atlassian.net/browse/OPS-12", "jira", "OPS-12"),
        ("https://dev.azure.com/acme/App/_workitems/edit/1234", "azure", "1234"),
    ],
)
def test_kind_and_key_are_read_from_the_trackers_address(url, kind, key):
    assert infer_kind(url) == kind
    assert key_from_url(kind, url) == key


def test_known_issue_links_to_its_tracker_issue_and_bad_links_are_refused(cast):
    issue = KnownIssueFactory()
    known_issue_link_tracker(
        known_issue_id=issue.id, actor=cast.engineer, url="https://github.com/acme/app/issues/42"
    )
    issue.refresh_from_db()
    assert (issue.tracker_kind, issue.tracker_key) == ("github", "acme/app#42")
    for url in ("http://github.com/acme/app/issues/1", "https://example.com/somewhere"):
        with pytest.raises(InvalidInput):
            known_issue_link_tracker(known_issue_id=issue.id, actor=cast.engineer, url=url)
    with pytest.raises(NotPermitted):
        known_issue_link_tracker(
            known_issue_id=issue.id, actor=cast.contact_a, url="https://github.com/a/b/issues/1"
        )
    # A self-hosted tracker: the kind is chosen and the key given.
    known_issue_link_tracker(
        known_issue_id=issue.id,
        actor=cast.engineer,
        url="https://tracker.acme.test/issue/99",
        kind="jira",
        key="OPS-99",
    )
    issue.refresh_from_db()
    assert (issue.tracker_kind, issue.tracker_key) == ("jira", "OPS-99")


def test_case_links_to_a_tracker_issue_on_its_internal_timeline(cast):
    case = CaseFactory(tenant=cast.tenant_a, reporter=cast.contact_a)
    case_link_tracker(
        case_id=case.id, actor=cast.engineer, url="https://acme.atlassian.net/browse/OPS-12"
    )
    case.refresh_from_db()
    assert (case.tracker_kind, case.tracker_key) == ("jira", "OPS-12")
    event = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.TRACKER_LINKED)
    assert not event.public
    with pytest.raises(NotPermitted):
        case_link_tracker(
            case_id=case.id, actor=cast.contact_a, url="https://github.com/a/b/issues/1"
        )


def _linked(cast, kind: str, url: str, stage=KnownIssue.Stage.INVESTIGATING):
    issue = KnownIssueFactory(stage=stage)
    known_issue_link_tracker(known_issue_id=issue.id, actor=cast.engineer, url=url)
    case = CaseFactory(tenant=cast.tenant_a, reporter=cast.contact_a, known_issue=issue)
    return issue, case


def _github_post(client, payload: dict, secret: str = SECRETS["github"]):
    body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return client.post(
        RECEIVER.format("github"),
        body,
        content_type="application/json",
        headers={"X-Hub-Signature-256": signature, "X-GitHub-Event": "issues"},
    )


GITHUB_CLOSED = {
    "action": "closed",
    "issue": {"number": 42, "state": "closed"},
    "repository": {"full_name": "acme/app"},
}


def test_signed_github_close_moves_the_known_issue_and_tells_the_cases_customer(client, cast):
    issue, case = _linked(cast, "github", "https://github.com/acme/app/issues/42")
    response = _github_post(client, GITHUB_CLOSED)
    assert response.status_code == 200
    assert response.json()["moved"] == [issue.id]
    issue.refresh_from_db()
    assert issue.stage == KnownIssue.Stage.IN_TESTING
    notifications_deliver_due()
    assert [m.to for m in mail.outbox] == [[cast.contact_a.email]]
    assert case.reference in mail.outbox[0].subject


@pytest.mark.parametrize("secret", ["wrong", ""])
def test_github_event_with_a_wrong_signature_is_refused_and_changes_nothing(client, cast, secret):
    issue, _ = _linked(cast, "github", "https://github.com/acme/app/issues/42")
    assert _github_post(client, GITHUB_CLOSED, secret=secret).status_code == 401
    issue.refresh_from_db()
    assert issue.stage == KnownIssue.Stage.INVESTIGATING
    assert mail.outbox == []


def test_gitlab_token_jira_secret_and_azure_password_are_checked(client, cast):
    gitlab, _ = _linked(cast, "gitlab", "https://gitlab.com/acme/app/-/issues/7")
    jira, _ = _linked(cast, "jira", "https://acme.atlassian.net/browse/OPS-12")
    azure, _ = _linked(cast, "azure", "https://dev.azure.com/acme/App/_workitems/edit/1234")
    gitlab_event = {
        "object_kind": "issue",
        "project": {"path_with_namespace": "acme/app"},
        "object_attributes": {"iid": 7, "state": "closed"},
    }
    jira_event = {"issue": {"key": "OPS-12", "fields": {"status": {"name": "In Progress"}}}}
    azure_event = {
        "eventType": "workitem.updated",
        "resource": {"workItemId": 1234, "fields": {"System.State": {"newValue": "Active"}}},
    }

    def post(tracker, payload, query="", **headers):
        return client.post(
            RECEIVER.format(tracker) + query,
            json.dumps(payload),
            content_type="application/json",
            headers=headers,
        )

    def basic(password):
        return "Basic " + base64.b64encode(f"azure:{password}".encode()).decode()

    assert post("gitlab", gitlab_event, **{"X-Gitlab-Token": "nope"}).status_code == 401
    assert post("jira", jira_event, "?secret=nope").status_code == 401
    refused = post("azure", azure_event, Authorization=basic("nope"))
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"].startswith("Basic")
    for issue in (gitlab, jira, azure):
        issue.refresh_from_db()
        assert issue.stage == KnownIssue.Stage.INVESTIGATING

    assert post("gitlab", gitlab_event, **{"X-Gitlab-Token": "gl-secret"}).status_code == 200
    assert post("jira", jira_event, "?secret=jira-secret").status_code == 200
    assert post("azure", azure_event, Authorization=basic("az")).status_code == 200
    stages = {i.id: i.stage for i in KnownIssue.objects.all()}
    assert stages[gitlab.id] == KnownIssue.Stage.IN_TESTING
    assert stages[jira.id] == KnownIssue.Stage.IN_DEVELOPMENT
    assert stages[azure.id] == KnownIssue.Stage.IN_DEVELOPMENT


def test_a_tracker_without_a_secret_has_no_receiver(client, settings):
    settings.TRACKER_WEBHOOK_SECRETS = {}
    response = client.post(RECEIVER.format("github"), "{}", content_type="application/json")
    assert response.status_code == 404
    assert client.get(RECEIVER.format("jira")).status_code == 405


def test_unmapped_status_scheduled_and_resolved_issues_are_left_alone(client, cast):
    url = "https://acme.atlassian.net/browse/OPS-12"
    scheduled, _ = _linked(cast, "jira", url, stage=KnownIssue.Stage.SCHEDULED)
    resolved, _ = _linked(cast, "jira", url, stage=KnownIssue.Stage.RESOLVED)
    for status in ("In Progress", "Waiting for legal"):
        event = {"issue": {"key": "OPS-12", "fields": {"status": {"name": status}}}}
        response = client.post(
            RECEIVER.format("jira"),
            json.dumps(event),
            content_type="application/json",
            headers={"X-SupportDesk-Token": "jira-secret"},
        )
        assert response.json()["moved"] == []
    assert stage_for_status("Waiting for legal") == ""
    assert {i.stage for i in KnownIssue.objects.all()} == {"scheduled", "resolved"}
    assert scheduled.stage == "scheduled"
    assert resolved.stage == "resolved"


def test_an_event_that_is_not_a_status_change_is_accepted_and_ignored(client, cast):
    response = _github_post(client, {"zen": "Keep it simple.", "hook_id": 1})
    assert response.status_code == 202


def test_known_issue_page_links_the_tracker_issue_and_shows_its_key(client, cast):
    from django.urls import reverse

    from tests.factories import PASSWORD

    issue = KnownIssueFactory(stage=KnownIssue.Stage.INVESTIGATING)
    client.login(username=cast.engineer.username, password=PASSWORD)
    url = reverse("admin:knowledge_knownissue_change", args=[issue.id])
    form = {
        "title": issue.title,
        "public_summary": issue.public_summary,
        "internal_notes": issue.internal_notes,
        "product": "",
        "stage": issue.stage,
        "target_date": "",
        "tracker_url": "https://github.com/acme/app/issues/42",
        "tracker_kind": "",
        "tracker_key": "",
    }
    response = client.post(url, form)
    assert response.status_code == 302
    issue.refresh_from_db()
    assert (issue.tracker_kind, issue.tracker_key) == ("github", "acme/app#42")
    assert 'value="acme/app#42"' in client.get(url).content.decode()
    response = client.post(url, form | {"tracker_url": "https://example.com/x"})
    assert response.status_code == 200
    assert "Choose the tracker." in response.content.decode()
