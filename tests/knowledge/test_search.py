import pytest

from knowledge.models import Article, KnownIssue
from knowledge.search import search_articles, search_known_issues, suggestions

pytestmark = pytest.mark.django_db


@pytest.fixture
def knowledge():
    Article.objects.create(
        title="Rotating the API signing key",
        slug="rotate-key",
        body="Open Settings, then Security, and choose Rotate.",
        is_published=True,
    )
    Article.objects.create(
        title="Exporting invoices", slug="export", body="Use Billing > Export.", is_published=True
    )
    Article.objects.create(
        title="Draft: invoices export timeouts", slug="draft", body="WIP", is_published=False
    )
    KnownIssue.objects.create(
        title="Invoice export times out for large accounts",
        public_summary="Exports over 50,000 rows time out. Workaround: filter by month.",
        stage=KnownIssue.Stage.IN_DEVELOPMENT,
    )
    KnownIssue.objects.create(
        title="Old invoice bug", public_summary="Fixed.", stage=KnownIssue.Stage.RESOLVED
    )


def test_published_articles_match_words_of_the_title_or_body(knowledge):
    assert [a.slug for a in search_articles("signing key rotation")] == ["rotate-key"]
    assert [a.slug for a in search_articles("invoices")] == ["export"]


def test_drafts_are_found_only_when_asked(knowledge):
    assert "draft" in [a.slug for a in search_articles("invoices", include_drafts=True)]


def test_blank_or_short_queries_find_nothing(knowledge):
    assert not search_articles("  a ").exists()
    assert not search_known_issues("").exists()


def test_suggestions_put_open_known_issues_before_articles(knowledge):
    found = suggestions("invoice export timeout")
    assert found[0].kind == "known_issue"
    assert found[0].title.startswith("Invoice export times out")
    assert "Old invoice bug" not in [s.title for s in found]
    assert any(s.kind == "article" for s in found)
