"""Articles, known issues and announcements over the API."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from knowledge.models import KnownIssue
from tests.api.conftest import error_of
from tests.factories import AnnouncementFactory, ArticleFactory, KnownIssueFactory

pytestmark = pytest.mark.django_db


def test_articles_list_published_ones_and_search_finds_them(cast, api):
    ArticleFactory(title="Exporting invoices", body="Use the export button.")
    ArticleFactory(title="Resetting passwords", body="Ask your admin.")
    ArticleFactory(title="Draft about exports", is_published=False)
    client = api(cast.contact_a)
    listed = client.get(reverse("api:articles")).json()
    assert listed["count"] == 2
    assert [a["title"] for a in listed["results"]] == ["Exporting invoices", "Resetting passwords"]
    found = client.get(reverse("api:articles"), {"search": "export invoices"}).json()
    assert [a["title"] for a in found["results"]] == ["Exporting invoices"]


def test_article_read_and_drafts_are_404(cast, api):
    published = ArticleFactory(title="Exporting invoices")
    draft = ArticleFactory(is_published=False)
    client = api(cast.partner_with_letter)
    body = client.get(reverse("api:article", kwargs={"article_id": published.id})).json()
    assert body["body"] == published.body
    response = client.get(reverse("api:article", kwargs={"article_id": draft.id}))
    assert response.status_code == 404
    assert error_of(response)["message"] == "No such article."


def test_known_issues_never_show_internal_notes_and_filter_by_open(cast, api):
    open_issue = KnownIssueFactory(title="Export times out")
    KnownIssueFactory(title="Old login bug", stage=KnownIssue.Stage.RESOLVED)
    client = api(cast.contact_a)
    listed = client.get(reverse("api:known-issues")).json()
    assert {i["title"] for i in listed["results"]} == {"Export times out", "Old login bug"}
    assert all("internal_notes" not in i for i in listed["results"])
    only_open = client.get(reverse("api:known-issues"), {"open": "true"}).json()
    assert [i["title"] for i in only_open["results"]] == ["Export times out"]
    found = client.get(reverse("api:known-issues"), {"search": "export"}).json()
    assert [i["title"] for i in found["results"]] == ["Export times out"]
    one = client.get(reverse("api:known-issue", kwargs={"issue_id": open_issue.id})).json()
    assert one["stage"] == "in_development"
    assert "internal_notes" not in one
    missing = client.get(reverse("api:known-issue", kwargs={"issue_id": open_issue.id + 99}))
    assert missing.status_code == 404


def test_knowledge_needs_desk_access(cast, api):
    assert api().get(reverse("api:articles")).status_code == 401
    response = api(cast.partner_without_letter).get(reverse("api:known-issues"))
    assert response.status_code == 403


def test_knowledge_lists_refuse_bad_paging(cast, api):
    client = api(cast.contact_a)
    for params, field in [({"page": "x"}, "page"), ({"page_size": "0"}, "page_size")]:
        response = client.get(reverse("api:articles"), params)
        assert response.status_code == 400
        assert field in error_of(response)["fields"]
    assert client.get(reverse("api:articles"), {"page": "9"}).status_code == 404


def test_announcements_show_what_is_current_incidents_first(cast, api):
    now = timezone.now()
    AnnouncementFactory(kind="release", title="Release 5.2", starts_at=now - dt.timedelta(days=1))
    AnnouncementFactory(kind="incident", title="Email delays")
    AnnouncementFactory(kind="incident", title="Unpublished", published=False)
    AnnouncementFactory(
        kind="release", title="Ancient release", starts_at=now - dt.timedelta(days=60)
    )
    body = api(cast.contact_a).get(reverse("api:announcements")).json()
    assert [(a["kind"], a["title"]) for a in body] == [
        ("incident", "Email delays"),
        ("release", "Release 5.2"),
    ]
    assert api().get(reverse("api:announcements")).status_code == 401
