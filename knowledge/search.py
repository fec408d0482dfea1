"""Search over knowledge articles and known issues, shared by the staff queue, the
portal's suggestions and the API.

On PostgreSQL it is full-text search (weighted title over body, ranked); elsewhere a
plain word match, so the embedded SQLite mode still finds things.
"""

from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Q, QuerySet

from knowledge.models import Article, KnownIssue

MAX_QUERY_LENGTH = 200


@dataclass(frozen=True)
class Suggestion:
    kind: str  # "article" or "known_issue"
    id: int
    title: str
    summary: str
    status: str


def _words(text: str) -> list[str]:
    return [word for word in text[:MAX_QUERY_LENGTH].split() if len(word) > 2][:8]


def _ranked(queryset: QuerySet, text: str, title: str, body: str) -> QuerySet:
    if connection.vendor == "postgresql":
        vector = SearchVector(title, weight="A", config="english") + SearchVector(
            body, weight="B", config="english"
        )
        # Any word counts (someone may still be typing); more matching words rank higher.
        any_word = SearchQuery(" or ".join(_words(text)), search_type="websearch", config="english")
        # `@@` on the same expression as the GIN index of migration 0003 (`document`), so
        # the index finds the matches and only they are ranked.
        return (
            queryset.annotate(document=vector, rank=SearchRank(vector, any_word))
            .filter(document=any_word)
            .order_by("-rank", "-updated_at")
        )
    match = Q()
    for word in _words(text):
        match |= Q(**{f"{title}__icontains": word}) | Q(**{f"{body}__icontains": word})
    return queryset.filter(match).order_by("-updated_at")


def search_articles(text: str, *, include_drafts: bool = False) -> QuerySet[Article]:
    if not _words(text):
        return Article.objects.none()
    articles = (
        Article.objects.all() if include_drafts else Article.objects.filter(is_published=True)
    )
    return _ranked(articles, text, "title", "body")


def search_known_issues(text: str, *, include_resolved: bool = True) -> QuerySet[KnownIssue]:
    if not _words(text):
        return KnownIssue.objects.none()
    issues = KnownIssue.objects.all()
    if not include_resolved:
        issues = issues.exclude(stage=KnownIssue.Stage.RESOLVED)
    return _ranked(issues, text, "title", "public_summary")


def suggestions(text: str, *, limit: int = 5) -> list[Suggestion]:
    """What to show a customer while they type a case summary: open known issues first,
    then published articles."""
    found = [
        Suggestion("known_issue", ki.id, ki.title, ki.public_summary[:200], ki.get_stage_display())
        for ki in search_known_issues(text, include_resolved=False)[:limit]
    ]
    found += [
        Suggestion("article", a.id, a.title, a.summary or a.body[:200], "Article")
        for a in search_articles(text)[: max(limit - len(found), 0)]
    ]
    return found
