"""Changes to known issues, articles and the product-feedback list.

Resolving a known issue is not here: it closes the linked cases, so it is a case
service (`cases.services.known_issue_resolve`), and `known_issue_update` refuses the
resolved stage.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

# Following known issues has its own module; its verbs are reached from here.
from knowledge.following import known_issue_follow as known_issue_follow
from knowledge.following import known_issue_followers_notify as known_issue_followers_notify
from knowledge.following import known_issue_unfollow as known_issue_unfollow
from knowledge.models import Article, ArticleVote, KnownIssue, KnownIssueChange, ProductFeedback
from knowledge.trackers import tracker_link_clean
from supportdesk.errors import InvalidInput, NotFound, NotPermitted, StateConflict
from supportdesk.types import User
from tenants.models import Category
from tenants.roles import Role, is_support_staff, require_role

# Who may do what here; the README's staff-queue section lists the same.
WRITE_ROLE = Role.ENGINEER  # write known issues and article drafts
PUBLISH_ROLE = Role.TRIAGE_LEAD  # publish or withdraw articles: customers read them
FEEDBACK_ROLE = Role.MANAGER  # set the status of product feedback


def _text(value: str | None) -> str:
    return (value or "").strip()


def validate_known_issue(
    *, title: str, public_summary: str, stage: str, target_date: dt.date | None
) -> None:
    """The rules of a known issue's fields; the admin form shows these errors in place."""
    errors: dict[str, list[str]] = {}
    if not _text(title):
        errors["title"] = ["Give the known issue a title."]
    elif len(_text(title)) > 200:
        errors["title"] = ["Keep the title under 200 characters."]
    if not _text(public_summary):
        errors["public_summary"] = ["Describe the symptoms and any workaround for customers."]
    if stage == KnownIssue.Stage.RESOLVED:
        errors["stage"] = [
            "Resolve the known issue with its “Resolve” action, which also closes the linked cases."
        ]
    elif stage not in KnownIssue.Stage.values:
        errors["stage"] = ["Choose a stage."]
    if stage == KnownIssue.Stage.SCHEDULED and target_date is None:
        errors["target_date"] = ["A fix scheduled for release needs its target date."]
    if errors:
        raise InvalidInput("Please correct the known issue.", field_errors=errors)


@transaction.atomic
def known_issue_create(
    *,
    actor: User,
    title: str,
    public_summary: str,
    internal_notes: str = "",
    product: str = "",
    stage: str = KnownIssue.Stage.INVESTIGATING,
    target_date: dt.date | None = None,
) -> KnownIssue:
    require_role(actor, WRITE_ROLE, "record known issues")
    validate_known_issue(
        title=title, public_summary=public_summary, stage=stage, target_date=target_date
    )
    issue = KnownIssue.objects.create(
        title=_text(title),
        public_summary=_text(public_summary),
        internal_notes=_text(internal_notes),
        product=_text(product),
        stage=stage,
        target_date=target_date,
        created_by=actor,
    )
    known_issue_history_record(issue)
    return issue


def known_issue_history_record(issue: KnownIssue) -> KnownIssueChange | None:
    """Add the issue's current stage and target date to its public history, unless they
    are what the history already ends with. Called by every service that sets them, in its
    transaction (`cases.services.known_issue_resolve` too)."""
    last = issue.history.order_by("-at", "-id").first()
    if last is not None and (last.stage, last.target_date) == (issue.stage, issue.target_date):
        return None
    return KnownIssueChange.objects.create(
        known_issue=issue, stage=issue.stage, target_date=issue.target_date, at=timezone.now()
    )


@transaction.atomic
def known_issue_update(
    *,
    known_issue_id: int,
    actor: User,
    title: str,
    public_summary: str,
    internal_notes: str = "",
    product: str = "",
    stage: str,
    target_date: dt.date | None = None,
) -> KnownIssue:
    """Move a known issue through the development stages, or correct its text."""
    require_role(actor, WRITE_ROLE, "change known issues")
    try:
        issue = KnownIssue.objects.select_for_update().get(id=known_issue_id)
    except KnownIssue.DoesNotExist:
        raise NotFound("No such known issue.") from None
    if issue.is_resolved:
        raise StateConflict(f"{issue} is resolved and its cases are closed; record a new one.")
    validate_known_issue(
        title=title, public_summary=public_summary, stage=stage, target_date=target_date
    )
    issue.title = _text(title)
    issue.public_summary = _text(public_summary)
    issue.internal_notes = _text(internal_notes)
    issue.product = _text(product)
    issue.stage = stage
    issue.target_date = target_date
    issue.save()
    known_issue_history_record(issue)
    return issue


@transaction.atomic
def known_issue_link_tracker(
    *, known_issue_id: int, actor: User, url: str, key: str = "", kind: str = ""
) -> KnownIssue:
    """Link a known issue to its issue in a development tracker (an empty URL unlinks):
    the kind and key come from the URL unless given. The tracker's webhook then moves the
    known issue's stage (`cases.services.known_issue_tracker_status`)."""
    require_role(actor, WRITE_ROLE, "link known issues to a tracker")
    link = tracker_link_clean(url=url, key=key, kind=kind)
    try:
        issue = KnownIssue.objects.select_for_update().get(id=known_issue_id)
    except KnownIssue.DoesNotExist:
        raise NotFound("No such known issue.") from None
    issue.tracker_kind, issue.tracker_key, issue.tracker_url = link.kind, link.key, link.url
    issue.save(update_fields=["tracker_kind", "tracker_key", "tracker_url", "updated_at"])
    return issue


def _slug_taken(slug: str, article_id: int | None) -> bool:
    others = Article.objects.filter(slug=slug)
    if article_id is not None:
        others = others.exclude(id=article_id)
    return others.exists()


def validate_article(*, title: str, slug: str, body: str, article_id: int | None = None) -> str:
    """The rules of an article's fields; returns the slug to use (made from the title when
    left blank)."""
    errors: dict[str, list[str]] = {}
    if not _text(title):
        errors["title"] = ["Give the article a title."]
    if not _text(body):
        errors["body"] = ["Write the article."]
    slug = slugify(_text(slug) or _text(title))[:200]
    if not slug and "title" not in errors:
        errors["slug"] = ["Give the article an address made of letters or digits."]
    elif _slug_taken(slug, article_id):
        errors["slug"] = [f"Another article already uses the address “{slug}”."]
    if errors:
        raise InvalidInput("Please correct the article.", field_errors=errors)
    return slug


@transaction.atomic
def article_create(
    *,
    actor: User,
    title: str,
    body: str,
    slug: str = "",
    summary: str = "",
    product: str = "",
    category: Category | None = None,
) -> Article:
    """A draft; customers see it once a triage lead publishes it."""
    require_role(actor, WRITE_ROLE, "write articles")
    slug = validate_article(title=title, slug=slug, body=body)
    return Article.objects.create(
        title=_text(title),
        slug=slug,
        summary=_text(summary),
        body=body.strip(),
        product=_text(product),
        category=category,
        author=actor,
    )


@transaction.atomic
def article_update(
    *,
    article_id: int,
    actor: User,
    title: str,
    body: str,
    slug: str = "",
    summary: str = "",
    product: str = "",
    category: Category | None = None,
) -> Article:
    try:
        article = Article.objects.select_for_update().get(id=article_id)
    except Article.DoesNotExist:
        raise NotFound("No such article.") from None
    # Customers read a published article: changing it is a publisher's decision.
    if article.is_published:
        require_role(actor, PUBLISH_ROLE, "change a published article")
    else:
        require_role(actor, WRITE_ROLE, "write articles")
    article.slug = validate_article(title=title, slug=slug, body=body, article_id=article.id)
    article.title = _text(title)
    article.summary = _text(summary)
    article.body = body.strip()
    article.product = _text(product)
    article.category = category
    article.save()
    return article


@transaction.atomic
def article_vote(*, article_id: int, actor: User, helpful: bool | None) -> ArticleVote:
    """Record whether a reader found a published article helpful; a second answer
    replaces the first. Support staff do not vote: the counts are the readers'."""
    if is_support_staff(actor):
        raise NotPermitted("Support staff do not vote on articles; the counts are the readers'.")
    if helpful is None:
        raise InvalidInput(
            "Say whether the article helped.",
            field_errors={"helpful": ["Choose “Yes” or “No”."]},
        )
    if not Article.objects.filter(id=article_id, is_published=True).exists():
        raise NotFound("No such article.")
    vote, _ = ArticleVote.objects.update_or_create(
        article_id=article_id, user=actor, defaults={"helpful": helpful}
    )
    return vote


@transaction.atomic
def article_publish(*, article_id: int, actor: User) -> Article:
    require_role(actor, PUBLISH_ROLE, "publish articles")
    article = Article.objects.select_for_update().filter(id=article_id).first()
    if article is None:
        raise NotFound("No such article.")
    if article.is_published:
        raise StateConflict(f"“{article}” is already published.")
    article.is_published = True
    article.published_at = timezone.now()
    article.save(update_fields=["is_published", "published_at", "updated_at"])
    return article


@transaction.atomic
def article_unpublish(*, article_id: int, actor: User) -> Article:
    require_role(actor, PUBLISH_ROLE, "withdraw articles")
    article = Article.objects.select_for_update().filter(id=article_id).first()
    if article is None:
        raise NotFound("No such article.")
    if not article.is_published:
        raise StateConflict(f"“{article}” is not published.")
    article.is_published = False
    article.save(update_fields=["is_published", "updated_at"])
    return article


def product_feedback_record(
    *,
    case_id: int,
    tenant_id: int,
    actor: User,
    title: str,
    description: str,
    product: str = "",
) -> ProductFeedback:
    """Put a transferred enhancement request on product management's list. Called by
    `cases.services.case_transfer_enhancement`, which closes the case in the same
    transaction."""
    require_role(actor, WRITE_ROLE, "transfer requests to product management")
    errors: dict[str, list[str]] = {}
    if not _text(title):
        errors["title"] = ["Give the request a title."]
    if not _text(description):
        errors["description"] = ["Describe the request for product management."]
    if errors:
        raise InvalidInput("Please describe the enhancement request.", field_errors=errors)
    if ProductFeedback.objects.filter(case_id=case_id).exists():
        raise StateConflict("This case is already on the product-feedback list.")
    return ProductFeedback.objects.create(
        case_id=case_id,
        tenant_id=tenant_id,
        title=_text(title)[:200],
        description=_text(description),
        product=_text(product),
        transferred_by=actor,
    )


@transaction.atomic
def product_feedback_set_status(
    *, feedback_id: int, actor: User, status: str, note: str = ""
) -> ProductFeedback:
    require_role(actor, FEEDBACK_ROLE, "change the status of product feedback")
    if status not in ProductFeedback.Status.values:
        raise InvalidInput("Choose a status.", field_errors={"status": ["Unknown status."]})
    feedback = ProductFeedback.objects.select_for_update().filter(id=feedback_id).first()
    if feedback is None:
        raise NotFound("No such product feedback.")
    feedback.status = status
    feedback.status_note = _text(note)[:500]
    feedback.save(update_fields=["status", "status_note", "updated_at"])
    return feedback
