"""The staff case page links a case to an issue in a development tracker: the action is the
service's (`case_link_tracker`), the page shows the key as a link, and the known issue's
admin page lists its public history."""

import datetime as dt

import pytest
from django.urls import reverse

from cases import services
from cases.models import Case, CaseEvent
from knowledge.models import KnownIssue
from knowledge.services import known_issue_history_record, known_issue_link_tracker
from tenants.roles import Role
from tests.cases.helpers import file_case
from tests.factories import KnownIssueFactory, UserFactory

pytestmark = pytest.mark.django_db

GITHUB = "https://github.com/acme/app/issues/42"


def page_url(case: Case) -> str:
    return reverse("admin:cases_case_change", args=[case.id])


def link(client, case: Case, version: int | None = None, **fields: str):
    data = {f"link_tracker-{name}": value for name, value in fields.items()}
    data["link_tracker-expected_version"] = case.version if version is None else version
    return client.post(reverse("admin:cases_case_act", args=[case.id, "link_tracker"]), data)


def tracker_of(case: Case) -> tuple[str, str, str, int]:
    fresh = Case.objects.get(id=case.id)
    return fresh.tracker_kind, fresh.tracker_key, fresh.tracker_url, fresh.version


def test_engineer_links_a_github_issue_and_the_page_shows_its_key_as_a_link(client, cast):
    case = file_case(cast)
    client.force_login(cast.engineer)
    response = link(client, case, tracker_url=GITHUB)
    assert response.status_code == 302
    assert tracker_of(case)[:3] == ("github", "acme/app#42", GITHUB)
    event = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.TRACKER_LINKED)
    assert not event.public
    page = client.get(page_url(case)).content.decode()
    assert (
        f'<dt>Tracker</dt><dd><a class="sd-tracker" href="{GITHUB}" '
        'rel="noopener noreferrer">GitHub acme/app#42</a></dd>'
    ) in page


def test_self_hosted_tracker_takes_the_chosen_kind_and_key(client, cast):
    case = file_case(cast)
    client.force_login(cast.engineer)
    url = "https://tracker.acme.test/issue/99"
    response = link(client, case, tracker_url=url, tracker_kind="jira", tracker_key="OPS-99")
    assert response.status_code == 302
    assert tracker_of(case)[:3] == ("jira", "OPS-99", url)


def test_blank_url_removes_the_link_on_the_internal_timeline(client, cast):
    case = file_case(cast)
    services.case_link_tracker(case_id=case.id, actor=cast.engineer, url=GITHUB)
    client.force_login(cast.engineer)
    response = link(client, Case.objects.get(id=case.id), tracker_url="")
    assert response.status_code == 302
    assert tracker_of(case)[:3] == ("", "", "")
    last = CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.TRACKER_LINKED).last()
    assert last.message == "Unlinked from the tracker"
    assert "<dt>Tracker</dt>" not in client.get(page_url(case)).content.decode()


@pytest.mark.parametrize(
    ("url", "field", "error"),
    [
        ("http://github.com/acme/app/issues/42", "tracker_url", "Give the issue's https address."),
        ("https://example.com/somewhere", "tracker_kind", "Choose the tracker."),
        ("not an address at all", "tracker_url", "Enter a valid URL."),
    ],
)
def test_bad_address_is_refused_with_the_form_error_and_changes_nothing(
    client, cast, url, field, error
):
    case = file_case(cast)
    before = tracker_of(case)
    events = CaseEvent.objects.filter(case=case).count()
    client.force_login(cast.engineer)
    response = link(client, case, tracker_url=url)
    assert response.status_code == 400
    form = dict((action.name, form) for action, form in response.context["offered"])["link_tracker"]
    assert error in form.errors[field]
    assert response.context["open_action"] == "link_tracker"
    assert tracker_of(case) == before
    assert CaseEvent.objects.filter(case=case).count() == events


def test_link_from_a_stale_page_is_refused_and_changes_nothing(client, cast):
    case = file_case(cast)
    shown = case.version
    services.case_comment(case_id=case.id, actor=cast.engineer, body="Looking.", public=False)
    before = tracker_of(case)
    client.force_login(cast.engineer)
    response = link(client, case, version=shown, tracker_url=GITHUB)
    assert response.status_code == 409
    assert tracker_of(case) == before


def test_only_roles_that_work_cases_are_offered_the_link(client, cast):
    case = file_case(cast)
    client.force_login(cast.engineer)
    names = {action.name for action, _ in client.get(page_url(case)).context["offered"]}
    assert "link_tracker" in names
    security = UserFactory(username="sam@support.test", roles=[Role.SECURITY])
    client.force_login(security)
    response = client.get(page_url(case))
    assert response.status_code == 200
    assert "link_tracker" not in {action.name for action, _ in response.context["offered"]}
    assert link(client, case, tracker_url=GITHUB).status_code == 403
    assert tracker_of(case)[:3] == ("", "", "")


def test_case_page_shows_the_known_issues_tracker_key(client, cast):
    issue = KnownIssueFactory()
    known_issue_link_tracker(
        known_issue_id=issue.id, actor=cast.engineer, url="https://acme.atlassian.net/browse/OPS-7"
    )
    case = file_case(cast)
    services.case_link_known_issue(case_id=case.id, actor=cast.engineer, known_issue_id=issue.id)
    client.force_login(cast.engineer)
    page = client.get(page_url(case)).content.decode()
    assert (
        'Tracker: <a href="https://acme.atlassian.net/browse/OPS-7" '
        'rel="noopener noreferrer">Jira OPS-7</a>'
    ) in page


def test_known_issue_admin_lists_its_public_history_read_only(client, cast, time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC))
    issue = KnownIssueFactory(stage=KnownIssue.Stage.INVESTIGATING)
    known_issue_history_record(issue)
    time_machine.move_to(dt.datetime(2026, 11, 5, 9, 0, tzinfo=dt.UTC))
    services.known_issue_edit(
        known_issue_id=issue.id,
        actor=cast.engineer,
        title=issue.title,
        public_summary=issue.public_summary,
        internal_notes=issue.internal_notes,
        product=issue.product,
        stage="in_development",
        target_date=dt.date(2026, 12, 1),
    )
    client.force_login(cast.engineer)
    response = client.get(reverse("admin:knowledge_knownissue_change", args=[issue.id]))
    assert response.status_code == 200
    page = response.content.decode()
    history = page[page.index('<ol class="sd-ki-history">') :]
    history = history[: history.index("</ol>")]
    assert history.count("<li>") == 2
    assert "Investigating" in history.split("<li>")[1]
    assert "target 1 Dec 2026" in history.split("<li>")[2]
    assert "public_history" not in response.context["adminform"].form.fields
