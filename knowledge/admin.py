"""Knowledge articles and the product-feedback list in the staff admin; every save and
action calls `knowledge.services`. (Known issues are registered by `cases.admin`, because
resolving one closes cases.)"""

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from knowledge import services
from knowledge.models import Article, ProductFeedback
from knowledge.search import search_articles
from supportdesk.admin_actions import (
    ServiceBackedAdmin,
    add_service_errors,
    run_for_each,
    with_form,
)
from supportdesk.errors import InvalidInput
from supportdesk.types import AuthenticatedHttpRequest, signed_in


class ArticleForm(forms.ModelForm):
    slug = forms.SlugField(
        max_length=200, required=False, help_text="Leave empty to make one from the title."
    )

    class Meta:
        model = Article
        fields = ["title", "slug", "summary", "body", "product", "category"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        try:
            data["slug"] = services.validate_article(
                title=data.get("title", ""),
                slug=data.get("slug", ""),
                body=data.get("body", ""),
                article_id=self.instance.pk,
            )
        except InvalidInput as error:
            add_service_errors(self, error)
        return data

    def validate_unique(self) -> None:
        """The service's validator already checked the slug, with a friendlier message."""


@admin.register(Article)
class ArticleAdmin(ServiceBackedAdmin):
    form = ArticleForm
    list_display = [
        "title",
        "is_published",
        "published_at",
        "product",
        "category",
        "helpful_yes",
        "helpful_no",
        "author",
        "updated_at",
    ]
    list_filter = ["is_published", "product", "category"]
    list_select_related = ["author", "category"]
    search_fields = ["title"]
    search_help_text = "Words of the title or body; drafts included."
    readonly_fields = [
        "is_published",
        "published_at",
        "helpful_yes",
        "helpful_no",
        "author",
        "created_at",
        "updated_at",
    ]
    actions = ["publish", "unpublish"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Article]:
        # The readers' answers to "Was this helpful?", counted per article.
        return (
            super()
            .get_queryset(request)
            .annotate(
                yes_votes=Count("votes", filter=Q(votes__helpful=True)),
                no_votes=Count("votes", filter=Q(votes__helpful=False)),
            )
        )

    @admin.display(description="Helpful: yes", ordering="yes_votes")
    def helpful_yes(self, article: Article) -> int:
        return getattr(article, "yes_votes", 0)

    @admin.display(description="Helpful: no", ordering="no_votes")
    def helpful_no(self, article: Article) -> int:
        return getattr(article, "no_votes", 0)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        if not search_term.strip():
            return queryset, False
        found = search_articles(search_term, include_drafts=True).values("id")
        return queryset.filter(id__in=found), False

    def save_model(
        self, request: HttpRequest, obj: Article, form: forms.ModelForm, change: bool
    ) -> None:
        fields = {name: form.cleaned_data[name] for name in ArticleForm.Meta.fields}
        if change:
            saved = services.article_update(article_id=obj.id, actor=signed_in(request), **fields)
        else:
            saved = services.article_create(actor=signed_in(request), **fields)
        obj.pk = saved.pk
        obj.refresh_from_db()

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.action(description="Publish (customers can read and are offered it)")
    def publish(self, request: AuthenticatedHttpRequest, queryset: QuerySet[Article]) -> None:
        run_for_each(
            self,
            request,
            queryset,
            lambda article: services.article_publish(article_id=article.id, actor=request.user),
            "Published",
        )

    @admin.action(description="Withdraw from customers")
    def unpublish(self, request: AuthenticatedHttpRequest, queryset: QuerySet[Article]) -> None:
        run_for_each(
            self,
            request,
            queryset,
            lambda article: services.article_unpublish(article_id=article.id, actor=request.user),
            "Withdrawn",
        )


class FeedbackStatusForm(forms.Form):
    status = forms.ChoiceField(choices=ProductFeedback.Status.choices)
    note = forms.CharField(max_length=500, required=False, label="Note (optional)")


@admin.register(ProductFeedback)
class ProductFeedbackAdmin(admin.ModelAdmin):
    """Enhancement requests transferred from cases: product management's list."""

    list_display = ["__str__", "tenant", "case_link", "product", "status", "created_at"]
    list_filter = ["status", "product"]
    list_select_related = ["tenant", "case"]
    search_fields = ["title", "description", "case__reference"]
    fields = readonly_fields = (
        "case_link",
        "tenant",
        "title",
        "description",
        "product",
        "status",
        "status_note",
        "transferred_by",
        "created_at",
        "updated_at",
    )
    actions = [
        with_form(
            description="Set status",
            name="set_status",
            done="Status set",
            make_form=lambda request, queryset, data: FeedbackStatusForm(data),
            perform=lambda request, feedback, data: services.product_feedback_set_status(
                feedback_id=feedback.id,
                actor=request.user,
                status=data["status"],
                note=data["note"],
            ),
        )
    ]

    @admin.display(description="Case", ordering="case__reference")
    def case_link(self, feedback: ProductFeedback) -> str:
        url = reverse("admin:cases_case_change", args=[feedback.case_id])
        return format_html('<a href="{}">{}</a>', url, feedback.case.reference)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
