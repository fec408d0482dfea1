"""The knowledge part of the REST API: published articles and known issues, read and
searched with `knowledge.search` (full text on PostgreSQL). Internal notes never leave."""

from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from knowledge.models import Article, KnownIssue
from knowledge.search import MAX_QUERY_LENGTH, search_articles, search_known_issues
from knowledge.selectors import public_known_issue, published_article
from supportdesk.api import converters  # noqa: F401  (registers the URL converters)
from supportdesk.api.pagination import NumberedPage
from supportdesk.api.serializers import StrictInput
from supportdesk.api.views import ApiListView, ApiView


class ArticleSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Article
        fields = ["id", "slug", "title", "summary", "product", "published_at", "updated_at"]


class ArticleSerializer(serializers.ModelSerializer):
    class Meta:
        model = Article
        fields = [*ArticleSummarySerializer.Meta.fields, "body"]


class KnownIssueSerializer(serializers.ModelSerializer):
    stage = serializers.ChoiceField(choices=KnownIssue.Stage.choices)

    class Meta:
        model = KnownIssue
        fields = [
            "id",
            "title",
            "public_summary",
            "product",
            "stage",
            "target_date",
            "resolved_at",
            "updated_at",
        ]


class ArticleFilter(StrictInput):
    search = serializers.CharField(
        required=False,
        max_length=MAX_QUERY_LENGTH,
        help_text="Words to look for; results are ranked, best first.",
    )

    passed_through = ("page", "page_size")


class KnownIssueFilter(ArticleFilter):
    open = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="Only unresolved (or resolved)."
    )


@extend_schema(tags=["knowledge"])
class ArticleList(ApiListView):
    pagination_class = NumberedPage
    serializer_class = ArticleSummarySerializer
    query_class = ArticleFilter

    def get_queryset(self) -> QuerySet[Article]:
        filters = self.query
        if filters.get("search", "").strip():
            return search_articles(filters["search"])
        return Article.objects.filter(is_published=True).order_by("title", "id")

    @extend_schema(
        operation_id="articles_list",
        summary="Published help articles, or those matching a search",
        parameters=[ArticleFilter],
    )
    def get(self, request: Request) -> Response:
        return self.list(request)


@extend_schema(tags=["knowledge"])
class ArticleDetail(ApiView):
    @extend_schema(operation_id="articles_read", summary="One article", responses=ArticleSerializer)
    def get(self, request: Request, article_id: int) -> Response:
        return Response(ArticleSerializer(published_article(article_id)).data)


@extend_schema(tags=["knowledge"])
class KnownIssueList(ApiListView):
    pagination_class = NumberedPage
    serializer_class = KnownIssueSerializer
    query_class = KnownIssueFilter

    def get_queryset(self) -> QuerySet[KnownIssue]:
        filters = self.query
        if filters.get("search", "").strip():
            issues = search_known_issues(filters["search"])
        else:
            issues = KnownIssue.objects.order_by("-updated_at", "-id")
        if filters["open"] is True:
            issues = issues.exclude(stage=KnownIssue.Stage.RESOLVED)
        elif filters["open"] is False:
            issues = issues.filter(stage=KnownIssue.Stage.RESOLVED)
        return issues

    @extend_schema(
        operation_id="known_issues_list",
        summary="Known issues, their stage and target date",
        parameters=[KnownIssueFilter],
    )
    def get(self, request: Request) -> Response:
        return self.list(request)


@extend_schema(tags=["knowledge"])
class KnownIssueDetail(ApiView):
    @extend_schema(
        operation_id="known_issues_read", summary="One known issue", responses=KnownIssueSerializer
    )
    def get(self, request: Request, issue_id: int) -> Response:
        return Response(KnownIssueSerializer(public_known_issue(issue_id)).data)


urlpatterns = [
    path("articles/", ArticleList.as_view(), name="articles"),
    path("articles/<api_id:article_id>/", ArticleDetail.as_view(), name="article"),
    path("known-issues/", KnownIssueList.as_view(), name="known-issues"),
    path("known-issues/<api_id:issue_id>/", KnownIssueDetail.as_view(), name="known-issue"),
]
