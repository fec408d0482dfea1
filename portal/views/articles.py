"""Knowledge articles and known issues, as suggested while a case is typed."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from knowledge.selectors import public_known_issue, published_article
from portal.context import portal_page
from portal.errors import found_or_404


@require_GET
@portal_page
def article(request: HttpRequest, article_id: int) -> HttpResponse:
    found = found_or_404(published_article, article_id)
    return render(request, "portal/article.html", {"article": found})


@require_GET
@portal_page
def known_issue(request: HttpRequest, issue_id: int) -> HttpResponse:
    found = found_or_404(public_known_issue, issue_id)
    return render(request, "portal/known_issue.html", {"issue": found})
