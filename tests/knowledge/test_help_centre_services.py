"""The help centre's rules: "Was this helpful?" votes, the public history of known
issues, and the ranked full-text search behind the help centre's search box."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from cases import services as case_services
from knowledge import services
from knowledge.models import ArticleVote, KnownIssue, KnownIssueChange
from knowledge.search import search_articles
from knowledge.selectors import help_articles, help_categories, help_products
from supportdesk.errors import InvalidInput, NotFound, NotPermitted
from tests.factories import ArticleFactory, category

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="ranked full-text search and its GIN index exist on PostgreSQL only; "
    "SQLite matches words unranked",
)


def test_a_reader_votes_once_per_article_and_may_change_the_answer(cast):
    article = ArticleFactory()

    services.article_vote(article_id=article.id, actor=cast.contact_a, helpful=True)
    services.article_vote(article_id=article.id, actor=cast.contact_a, helpful=False)
    services.article_vote(article_id=article.id, actor=cast.contact_b, helpful=True)

    votes = dict(ArticleVote.objects.values_list("user__username", "helpful"))
    assert votes == {cast.contact_a.username: False, cast.contact_b.username: True}


def test_a_draft_cannot_be_voted_on(cast):
    draft = ArticleFactory(is_published=False)
    with pytest.raises(NotFound):
        services.article_vote(article_id=draft.id, actor=cast.contact_a, helpful=True)
    assert not ArticleVote.objects.exists()


def test_a_vote_without_an_answer_is_refused_and_changes_nothing(cast):
    article = ArticleFactory()
    services.article_vote(article_id=article.id, actor=cast.contact_a, helpful=True)
    with pytest.raises(InvalidInput) as refused:
        services.article_vote(article_id=article.id, actor=cast.contact_a, helpful=None)
    assert "helpful" in refused.value.field_errors
    assert ArticleVote.objects.get().helpful is True


def test_support_staff_do_not_vote(cast):
    article = ArticleFactory()
    with pytest.raises(NotPermitted):
        services.article_vote(article_id=article.id, actor=cast.engineer, helpful=True)
    assert not ArticleVote.objects.exists()


def _history(issue: KnownIssue) -> list[tuple[str, dt.date | None, dt.date]]:
    return [
        (row.stage, row.target_date, timezone.localdate(row.at))
        for row in KnownIssueChange.objects.filter(known_issue=issue).order_by("at", "id")
    ]


def _edit(issue: KnownIssue, actor, **changes) -> KnownIssue:
    fields = {
        "title": issue.title,
        "public_summary": issue.public_summary,
        "internal_notes": issue.internal_notes,
        "product": issue.product,
        "stage": issue.stage,
        "target_date": issue.target_date,
        **changes,
    }
    return services.known_issue_update(known_issue_id=issue.id, actor=actor, **fields)


def test_each_stage_and_target_date_change_adds_a_dated_history_row(cast):
    with time_machine.travel(dt.datetime(2026, 11, 2, 10, tzinfo=dt.UTC), tick=False):
        issue = services.known_issue_create(
            actor=cast.engineer, title="CSV export times out", public_summary="Use the API."
        )
    with time_machine.travel(dt.datetime(2026, 11, 9, 10, tzinfo=dt.UTC), tick=False):
        issue = _edit(issue, cast.engineer, stage=KnownIssue.Stage.IN_DEVELOPMENT)
    with time_machine.travel(dt.datetime(2026, 11, 16, 10, tzinfo=dt.UTC), tick=False):
        issue = _edit(
            issue,
            cast.engineer,
            stage=KnownIssue.Stage.SCHEDULED,
            target_date=dt.date(2026, 12, 1),
        )
    with time_machine.travel(dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC), tick=False):
        issue = _edit(issue, cast.engineer, target_date=dt.date(2026, 12, 8))

    assert _history(issue) == [
        ("investigating", None, dt.date(2026, 11, 2)),
        ("in_development", None, dt.date(2026, 11, 9)),
        ("scheduled", dt.date(2026, 12, 1), dt.date(2026, 11, 16)),
        ("scheduled", dt.date(2026, 12, 8), dt.date(2026, 11, 20)),
    ]


def test_an_edit_of_the_text_alone_adds_no_history(cast):
    issue = services.known_issue_create(
        actor=cast.engineer, title="CSV export times out", public_summary="Use the API."
    )
    _edit(issue, cast.engineer, public_summary="Use the API, or export by month.")
    assert len(_history(issue)) == 1


def test_resolving_a_known_issue_ends_its_history_with_resolved(cast):
    issue = services.known_issue_create(
        actor=cast.engineer, title="CSV export times out", public_summary="Use the API."
    )
    case_services.known_issue_resolve(
        known_issue_id=issue.id, actor=cast.triage_lead, note="Fixed in 2026.12."
    )
    assert [stage for stage, _, _ in _history(issue)] == ["investigating", "resolved"]


def test_browsing_narrows_published_articles_by_product_and_category():
    billing = category("billing", "Billing")
    category("outage", "Outage")
    ArticleFactory(title="Invoices", product="Cloud", category=billing)
    ArticleFactory(title="Exports", product="Cloud")
    ArticleFactory(title="Agents", product="On-premises")
    ArticleFactory(title="Draft", product="Secret product", category=billing, is_published=False)

    assert [a.title for a in help_articles(product="Cloud")] == ["Exports", "Invoices"]
    assert [a.title for a in help_articles(category="billing")] == ["Invoices"]
    assert help_products() == ["Cloud", "On-premises"]
    assert [c.code for c in help_categories()] == ["billing"]


def test_search_never_finds_drafts():
    ArticleFactory(title="Rotate the signing key", body="Settings, Security, Rotate.")
    ArticleFactory(title="Rotate the signing key (draft)", body="WIP", is_published=False)
    assert [a.title for a in help_articles(query="rotate signing key")] == [
        "Rotate the signing key"
    ]


@on_postgresql
def test_search_ranks_more_matching_words_higher_and_the_title_over_the_body():
    ArticleFactory(title="Network settings", body="How the firewall sees it.")
    ArticleFactory(title="Firewall rules for the agent", body="Open port 443.")
    ArticleFactory(title="Firewall", body="See the guide.")

    found = [a.title for a in help_articles(query="agent firewall rules")]

    assert found == ["Firewall rules for the agent", "Firewall", "Network settings"]


@on_postgresql
def test_search_uses_the_gin_index_on_postgresql():
    for n in range(50):
        ArticleFactory(title=f"Article about topic {n}", body="Plain text.")
    sql, params = search_articles("topic").values("id").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "article_search" in plan
