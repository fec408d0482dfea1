"""What customers may read of the knowledge base."""

from django.db.models import QuerySet

from knowledge.models import Article, ArticleVote, KnownIssue, KnownIssueChange
from knowledge.search import search_articles
from supportdesk.errors import NotFound
from supportdesk.types import User
from tenants.models import Category


def published_article(article_id: int) -> Article:
    article = (
        Article.objects.select_related("category").filter(id=article_id, is_published=True).first()
    )
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


# The help centre: what every customer and partner may browse. Articles and known issues
# are public to all of them (no tenant owns one); drafts and internal notes are never
# shown.


def help_articles(*, query: str = "", product: str = "", category: str = "") -> QuerySet[Article]:
    """Published articles, by title; with `query`, ranked by the full-text search
    (`knowledge.search`). `product` and `category` (a category code) narrow the list."""
    searching = bool(query.strip())
    articles = search_articles(query) if searching else Article.objects.filter(is_published=True)
    if product:
        articles = articles.filter(product=product)
    if category:
        articles = articles.filter(category__code=category)
    articles = articles.select_related("category")
    return articles if searching else articles.order_by("title")


def help_products() -> list[str]:
    """The products published articles are about, for the browse filter."""
    return list(
        Article.objects.filter(is_published=True)
        .exclude(product="")
        .order_by("product")
        .values_list("product", flat=True)
        .distinct()
    )


def help_categories() -> list[Category]:
    """The case categories that have published articles, in the categories' order."""
    return list(
        Category.objects.filter(
            id__in=Article.objects.filter(is_published=True, category__isnull=False).values(
                "category_id"
            )
        )
    )


def help_known_issues(*, resolved: bool) -> QuerySet[KnownIssue]:
    """Known issues for the help centre: open ones by stage and last change, or resolved
    ones most recent first. Views show only the public fields."""
    issues = KnownIssue.objects.only(
        "id", "title", "product", "stage", "target_date", "updated_at", "resolved_at"
    )
    if resolved:
        return issues.filter(stage=KnownIssue.Stage.RESOLVED).order_by("-resolved_at", "-id")
    return issues.exclude(stage=KnownIssue.Stage.RESOLVED).order_by("-updated_at", "-id")


def known_issue_history(issue: KnownIssue) -> list[KnownIssueChange]:
    """The issue's public history, oldest first: each stage and target date it had, from when."""
    return list(issue.history.order_by("at", "id"))


def reader_vote(article: Article, user: User) -> bool | None:
    """What the reader answered to "Was this helpful?" (None: not yet)."""
    return (
        ArticleVote.objects.filter(article=article, user=user)
        .values_list("helpful", flat=True)
        .first()
    )
