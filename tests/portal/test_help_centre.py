"""The portal's help centre: browse and search the published articles, vote on one,
and read the known issues with their stage, target date and history."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from knowledge import services
from knowledge.models import ArticleVote, KnownIssue
from tests.factories import ArticleFactory, KnownIssueFactory, category

pytestmark = pytest.mark.django_db

# Sign-in, portal access and tenant (a handful, shared by every portal page), the page's
# own lists and the session save.
HELP_INDEX_BUDGET = 15
ARTICLE_PAGE_BUDGET = 12


@pytest.fixture
def library():
    billing = category("billing", "Billing")
    return {
        "invoices": ArticleFactory(
            title="Downloading invoices",
            summary="Where invoices live.",
            body="Open Billing, then Invoices.",
            product="SupportDesk Cloud",
            category=billing,
        ),
        "agent": ArticleFactory(
            title="Installing the agent", body="Run the installer.", product="On-premises"
        ),
        "draft": ArticleFactory(
            title="Draft about invoices", body="Unreleased invoices plan.", is_published=False
        ),
    }


def test_the_portal_navigation_links_the_help_centre(client, cast, sign_in):
    sign_in(cast.contact_a)
    html = client.get(reverse("portal:dashboard")).content.decode()
    assert f'href="{reverse("portal:help")}"' in html


def test_the_help_index_lists_published_articles_and_never_drafts(client, cast, sign_in, library):
    sign_in(cast.contact_a)
    html = client.get(reverse("portal:help")).content.decode()
    assert "Downloading invoices" in html
    assert "Installing the agent" in html
    assert "Draft about invoices" not in html
    assert '<option value="SupportDesk Cloud"' in html
    assert '<option value="billing"' in html


def test_browsing_by_product_and_category_narrows_the_list(client, cast, sign_in, library):
    sign_in(cast.partner_with_letter)
    by_product = client.get(reverse("portal:help"), {"product": "On-premises"}).content.decode()
    assert "Installing the agent" in by_product
    assert "Downloading invoices" not in by_product
    by_category = client.get(reverse("portal:help"), {"category": "billing"}).content.decode()
    assert "Downloading invoices" in by_category
    assert "Installing the agent" not in by_category


def test_search_finds_words_of_the_body_and_never_drafts(client, cast, sign_in, library):
    sign_in(cast.contact_a)
    html = client.get(reverse("portal:help"), {"q": "invoices"}).content.decode()
    assert "Downloading invoices" in html
    assert "Draft about invoices" not in html
    assert "Installing the agent" not in html


def test_a_search_that_finds_nothing_says_so_and_offers_every_article(
    client, cast, sign_in, library
):
    sign_in(cast.contact_a)
    html = client.get(reverse("portal:help"), {"q": "teleportation"}).content.decode()
    assert "No article matches “teleportation”" in html
    assert "Show every article" in html


def test_an_article_page_asks_whether_it_helped(client, cast, sign_in, library):
    sign_in(cast.contact_a)
    html = client.get(reverse("portal:article", args=[library["invoices"].id])).content.decode()
    assert "Was this helpful?" in html
    assert reverse("portal:article_vote", args=[library["invoices"].id]) in html
    assert "Billing" in html  # its category


def test_a_draft_article_page_is_not_found(client, cast, sign_in, library):
    sign_in(cast.contact_a)
    assert client.get(reverse("portal:article", args=[library["draft"].id])).status_code == 404


def test_voting_records_the_answer_and_the_page_shows_it(client, cast, sign_in, library):
    sign_in(cast.contact_a)
    article = library["invoices"]
    vote_url = reverse("portal:article_vote", args=[article.id])

    response = client.post(vote_url, {"helpful": "yes"}, follow=True)
    assert "You answered <strong>yes</strong>" in response.content.decode()
    client.post(vote_url, {"helpful": "no"})

    vote = ArticleVote.objects.get()
    assert (vote.user, vote.helpful) == (cast.contact_a, False)
    html = client.get(reverse("portal:article", args=[article.id])).content.decode()
    assert "You answered <strong>no</strong>" in html


def test_a_vote_without_an_answer_is_refused_with_a_message(client, cast, sign_in, library):
    sign_in(cast.contact_a)
    response = client.post(reverse("portal:article_vote", args=[library["invoices"].id]), {})
    assert response.status_code == 400
    assert "Say whether the article helped." in response.content.decode()
    assert not ArticleVote.objects.exists()


def test_a_vote_on_a_draft_is_not_found(client, cast, sign_in, library):
    sign_in(cast.contact_a)
    response = client.post(
        reverse("portal:article_vote", args=[library["draft"].id]), {"helpful": "yes"}
    )
    assert response.status_code == 404
    assert not ArticleVote.objects.exists()


def test_known_issues_list_shows_stage_and_target_date_and_splits_resolved(client, cast, sign_in):
    KnownIssueFactory(
        title="Export times out",
        stage=KnownIssue.Stage.SCHEDULED,
        target_date=dt.date(2026, 12, 8),
        internal_notes="Root cause: a race in the exporter.",
    )
    KnownIssueFactory(title="Old login bug", stage=KnownIssue.Stage.RESOLVED)
    sign_in(cast.contact_a)

    html = client.get(reverse("portal:known_issues")).content.decode()
    assert "Export times out" in html
    assert "Fix scheduled for release" in html
    assert "8 Dec 2026" in html
    assert "Old login bug" not in html
    assert "Root cause" not in html

    resolved = client.get(reverse("portal:known_issues"), {"view": "resolved"}).content.decode()
    assert "Old login bug" in resolved
    assert "Export times out" not in resolved


def test_a_known_issue_page_shows_its_history_without_internal_notes(client, cast, sign_in):
    with time_machine.travel(dt.datetime(2026, 11, 2, 10, tzinfo=dt.UTC), tick=False):
        issue = services.known_issue_create(
            actor=cast.engineer,
            title="Export times out",
            public_summary="Export by month meanwhile.",
            internal_notes="Root cause: a race in the exporter.",
        )
    with time_machine.travel(dt.datetime(2026, 11, 16, 10, tzinfo=dt.UTC), tick=False):
        services.known_issue_update(
            known_issue_id=issue.id,
            actor=cast.engineer,
            title=issue.title,
            public_summary=issue.public_summary,
            internal_notes=issue.internal_notes,
            stage=KnownIssue.Stage.SCHEDULED,
            target_date=dt.date(2026, 12, 8),
        )
    sign_in(cast.contact_b)

    html = client.get(reverse("portal:known_issue", args=[issue.id])).content.decode()

    history = html[html.index('id="history-heading"') :]
    assert history.index("Investigating") < history.index("Fix scheduled for release")
    assert "2 Nov 2026" in history
    assert "16 Nov 2026" in history
    assert "target 8 Dec 2026" in history
    assert "Root cause" not in html


def test_help_index_stays_within_its_query_budget(
    client, cast, sign_in, library, django_assert_max_num_queries
):
    for n in range(30):
        ArticleFactory(title=f"Article {n}", category=category(f"cat{n % 5}", f"Cat {n % 5}"))
        KnownIssueFactory()
    sign_in(cast.contact_a)
    with django_assert_max_num_queries(HELP_INDEX_BUDGET):
        response = client.get(reverse("portal:help"), {"q": "article"})
    assert response.status_code == 200
    with django_assert_max_num_queries(HELP_INDEX_BUDGET):
        assert client.get(reverse("portal:help")).status_code == 200


def test_article_page_stays_within_its_query_budget(
    client, cast, sign_in, library, django_assert_max_num_queries
):
    sign_in(cast.contact_a)
    article = library["invoices"]
    services.article_vote(article_id=article.id, actor=cast.contact_a, helpful=True)
    with django_assert_max_num_queries(ARTICLE_PAGE_BUDGET):
        response = client.get(reverse("portal:article", args=[article.id]))
    assert response.status_code == 200
