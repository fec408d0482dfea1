"""The public status page and the knowledge pages suggestions link to."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import AnnouncementFactory, ArticleFactory, KnownIssueFactory

pytestmark = pytest.mark.django_db


def test_status_page_needs_no_sign_in_and_shows_what_is_going_on(client):
    now = timezone.now()
    AnnouncementFactory(kind="incident", title="API errors", affected_products=["API"])
    AnnouncementFactory(
        kind="maintenance", title="DB upgrade", starts_at=now + dt.timedelta(days=2)
    )
    AnnouncementFactory(kind="release", title="Release 2026.11", starts_at=now - dt.timedelta(1))
    AnnouncementFactory(kind="incident", title="Unpublished", published=False)
    response = client.get(reverse("portal:status"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Some services are disrupted" in html
    for title in ("API errors", "DB upgrade", "Release 2026.11"):
        assert title in html
    assert "Unpublished" not in html


def test_status_page_is_calm_when_nothing_is_wrong(client):
    assert "All systems operational" in client.get(reverse("portal:status")).content.decode()


def test_announcement_text_is_escaped(client):
    AnnouncementFactory(body="<img src=x onerror=alert(1)>")
    html = client.get(reverse("portal:status")).content.decode()
    assert "<img src=x" not in html
    assert "&lt;img src=x" in html


def test_article_page_shows_published_articles_only(client, cast, sign_in):
    article = ArticleFactory(title="Rotating keys", body="Step one.")
    draft = ArticleFactory(is_published=False)
    sign_in(cast.contact_a)
    html = client.get(reverse("portal:article", args=[article.id])).content.decode()
    assert "Rotating keys" in html
    assert "Step one." in html
    assert client.get(reverse("portal:article", args=[draft.id])).status_code == 404


def test_known_issue_page_hides_internal_notes(client, cast, sign_in):
    issue = KnownIssueFactory(title="Export timeouts", public_summary="Filter by month.")
    sign_in(cast.contact_a)
    html = client.get(reverse("portal:known_issue", args=[issue.id])).content.decode()
    assert "Export timeouts" in html
    assert "Filter by month." in html
    assert "race in the exporter" not in html
    assert client.get(reverse("portal:known_issue", args=[issue.id + 99])).status_code == 404


def test_knowledge_pages_need_sign_in(client):
    issue = KnownIssueFactory()
    response = client.get(reverse("portal:known_issue", args=[issue.id]))
    assert response.status_code == 302
