"""The help centre: browse and search the published articles, answer "Was this
helpful?", and follow the known issues with their public stage, target date and history.

Everything here is public to every customer and partner; the selectors show only
published articles and the public fields of known issues."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from knowledge import services
from knowledge.search import MAX_QUERY_LENGTH
from knowledge.selectors import (
    help_articles,
    help_categories,
    help_known_issues,
    help_products,
    published_article,
)
from portal.context import PortalRequest, portal_page
from portal.errors import apply_service_error, found_or_404
from portal.views.articles import article_page
from supportdesk.errors import ServiceError

PAGE_SIZE = 20
VOTES = {"yes": True, "no": False}


@require_GET
@portal_page
def help_index(request: PortalRequest) -> HttpResponse:
    filters = {
        "query": request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH],
        "product": request.GET.get("product", "").strip(),
        "category": request.GET.get("category", "").strip(),
    }
    articles = help_articles(**filters)
    page = Paginator(articles, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "articles": page.object_list,
        "filters": filters,
        "filtered": any(filters.values()),
        "products": help_products(),
        "categories": help_categories(),
        "open_issues": help_known_issues(resolved=False)[:3],
    }
    return render(request, "portal/help/index.html", context)


@require_POST
@portal_page
def article_vote(request: PortalRequest, article_id: int) -> HttpResponse:
    article = found_or_404(published_article, article_id)
    try:
        helpful = VOTES.get(request.POST.get("helpful", ""))
        services.article_vote(article_id=article.id, actor=request.user, helpful=helpful)
    except ServiceError as error:
        status = apply_service_error(request, error)
        return article_page(request, article, status=status)
    messages.success(request, "Thank you: your answer helps us improve this article.")
    return redirect(reverse("portal:article", args=[article.id]) + "#helpful")


@require_GET
@portal_page
def known_issues(request: PortalRequest) -> HttpResponse:
    resolved = request.GET.get("view") == "resolved"
    context = {"issues": help_known_issues(resolved=resolved)[:100], "resolved": resolved}
    return render(request, "portal/help/known_issues.html", context)
