"""Knowledge articles and known issues: suggested while a case is typed, and the pages of
the help centre (`portal.views.help`)."""

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from knowledge.following import is_following
from knowledge.models import Article
from knowledge.selectors import (
    known_issue_history,
    public_known_issue,
    published_article,
    reader_vote,
)
from portal.context import PortalRequest, portal_page
from portal.errors import found_or_404


def article_page(request: PortalRequest, found: Article, status: int = 200) -> HttpResponse:
    context = {"article": found, "vote": reader_vote(found, request.user)}
    return render(request, "portal/article.html", context, status=status)


@require_GET
@portal_page
def article(request: PortalRequest, article_id: int) -> HttpResponse:
    return article_page(request, found_or_404(published_article, article_id))


@require_GET
@portal_page
def known_issue(request: PortalRequest, issue_id: int) -> HttpResponse:
    found = found_or_404(public_known_issue, issue_id)
    context = {
        "issue": found,
        "history": known_issue_history(found),
        "following": is_following(known_issue_id=found.id, user=request.user),
    }
    return render(request, "portal/known_issue.html", context)
