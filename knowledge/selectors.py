"""What customers may read of the knowledge base."""

from knowledge.models import Article, KnownIssue
from supportdesk.errors import NotFound


def published_article(article_id: int) -> Article:
    article = Article.objects.filter(id=article_id, is_published=True).first()
    if article is None:
        raise NotFound("No such article.")
    return article


def public_known_issue(issue_id: int) -> KnownIssue:
    """A known issue as customers see it: the public summary, stage and target date
    (templates never show `internal_notes`)."""
    issue = KnownIssue.objects.filter(id=issue_id).first()
    if issue is None:
        raise NotFound("No such known issue.")
    return issue
