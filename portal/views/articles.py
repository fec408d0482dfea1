"""Knowledge articles and known issues, as suggested while a case is typed."""

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from knowledge.following import is_following
from knowledge.selectors import public_known_issue, published_article
from portal.context import PortalRequest, portal_page
from portal.errors import found_or_404


@require_GET
@portal_page
def article(request: PortalRequest, article_id: int) -> HttpResponse:
    found = found_or_404(published_article, article_id)
    return render(request, "portal/article.html", {"article": found})


@require_GET
@portal_page
def known_issue(request: PortalRequest, issue_id: int) -> HttpResponse:
    found = found_or_404(public_known_issue, issue_id)
    following = is_following(known_issue_id=found.id, user=request.user)
    return render(request, "portal/known_issue.html", {"issue": found, "following": following})
