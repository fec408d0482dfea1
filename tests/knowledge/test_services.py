import datetime as dt

import pytest

from knowledge import services
from knowledge.models import Article, KnownIssue, ProductFeedback
from supportdesk.errors import InvalidInput, NotPermitted, StateConflict
from tests.factories import ArticleFactory, CaseFactory, KnownIssueFactory

pytestmark = pytest.mark.django_db


def test_engineer_records_a_known_issue_with_stage_and_target_date(cast):
    issue = services.known_issue_create(
        actor=cast.engineer,
        title=" Export times out ",
        public_summary="Large exports time out.",
        stage=KnownIssue.Stage.SCHEDULED,
        target_date=dt.date(2026, 12, 1),
    )
    assert (issue.title, issue.stage, issue.target_date, issue.created_by) == (
        "Export times out",
        KnownIssue.Stage.SCHEDULED,
        dt.date(2026, 12, 1),
        cast.engineer,
    )


def test_a_scheduled_fix_needs_a_target_date(cast):
    with pytest.raises(InvalidInput) as error:
        services.known_issue_create(
            actor=cast.engineer,
            title="Export times out",
            public_summary="x",
            stage=KnownIssue.Stage.SCHEDULED,
        )
    assert list(error.value.field_errors) == ["target_date"]


def test_known_issue_cannot_be_resolved_by_editing_its_stage(cast):
    issue = KnownIssueFactory()
    with pytest.raises(InvalidInput, match="known issue") as error:
        services.known_issue_update(
            known_issue_id=issue.id,
            actor=cast.engineer,
            title=issue.title,
            public_summary=issue.public_summary,
            stage=KnownIssue.Stage.RESOLVED,
        )
    assert "linked cases" in error.value.field_errors["stage"][0]
    issue.refresh_from_db()
    assert issue.stage == KnownIssue.Stage.IN_DEVELOPMENT


def test_known_issue_moves_through_stages(cast):
    issue = KnownIssueFactory(stage=KnownIssue.Stage.INVESTIGATING)
    issue = services.known_issue_update(
        known_issue_id=issue.id,
        actor=cast.engineer,
        title=issue.title,
        public_summary="Fix in testing; workaround unchanged.",
        stage=KnownIssue.Stage.IN_TESTING,
        target_date=dt.date(2026, 12, 15),
    )
    assert (issue.stage, issue.target_date) == (KnownIssue.Stage.IN_TESTING, dt.date(2026, 12, 15))


def test_a_resolved_known_issue_is_no_longer_edited(cast):
    issue = KnownIssueFactory(stage=KnownIssue.Stage.RESOLVED)
    with pytest.raises(StateConflict):
        services.known_issue_update(
            known_issue_id=issue.id,
            actor=cast.engineer,
            title="x",
            public_summary="y",
            stage=KnownIssue.Stage.INVESTIGATING,
        )


def test_customers_cannot_write_known_issues_or_articles(cast):
    with pytest.raises(NotPermitted):
        services.known_issue_create(actor=cast.contact_a, title="x", public_summary="y")
    with pytest.raises(NotPermitted):
        services.article_create(actor=cast.contact_a, title="x", body="y")


def test_article_is_a_draft_with_a_slug_from_its_title(cast):
    article = services.article_create(
        actor=cast.engineer, title="Rotating the API key", body="Open Settings."
    )
    assert (article.slug, article.is_published, article.author) == (
        "rotating-the-api-key",
        False,
        cast.engineer,
    )


def test_article_slug_must_be_unique(cast):
    ArticleFactory(slug="rotate")
    with pytest.raises(InvalidInput) as error:
        services.article_create(actor=cast.engineer, title="Rotate", body="x", slug="rotate")
    assert "already uses" in error.value.field_errors["slug"][0]


def test_triage_lead_publishes_an_article_and_an_engineer_cannot(cast):
    article = ArticleFactory(is_published=False)
    with pytest.raises(NotPermitted, match="triage lead"):
        services.article_publish(article_id=article.id, actor=cast.engineer)
    article = services.article_publish(article_id=article.id, actor=cast.triage_lead)
    assert article.is_published
    assert article.published_at is not None
    with pytest.raises(StateConflict):
        services.article_publish(article_id=article.id, actor=cast.triage_lead)
    article = services.article_unpublish(article_id=article.id, actor=cast.manager)
    assert not article.is_published


def test_engineer_edits_drafts_but_not_published_articles(cast):
    draft = ArticleFactory(is_published=False)
    services.article_update(article_id=draft.id, actor=cast.engineer, title="New", body="Body")
    published = ArticleFactory(is_published=True)
    with pytest.raises(NotPermitted):
        services.article_update(
            article_id=published.id, actor=cast.engineer, title="Changed", body="Body"
        )
    assert Article.objects.get(id=published.id).title == published.title


def test_only_a_manager_sets_the_status_of_product_feedback(cast):
    case = CaseFactory(tenant=cast.tenant_a)
    feedback = services.product_feedback_record(
        case_id=case.id,
        tenant_id=case.tenant_id,
        actor=cast.engineer,
        title="Weekly exports",
        description="Schedule exports weekly.",
    )
    with pytest.raises(NotPermitted):
        services.product_feedback_set_status(
            feedback_id=feedback.id, actor=cast.triage_lead, status="planned"
        )
    feedback = services.product_feedback_set_status(
        feedback_id=feedback.id, actor=cast.manager, status="planned", note="Q3 roadmap"
    )
    assert (feedback.status, feedback.status_note) == (
        ProductFeedback.Status.PLANNED,
        "Q3 roadmap",
    )
