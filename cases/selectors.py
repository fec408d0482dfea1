"""Reads of cases, all starting from the one access function."""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import Count, F, FloatField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from cases.models import (
    LONG_TEXT_FIELDS,
    OPEN_STATES,
    QUEUE_ORDER,
    SEARCH_CONFIG,
    Attachment,
    Case,
    CaseEvent,
    CaseWatcher,
    Comment,
    Macro,
    SatisfactionSurvey,
    State,
    case_search_document,
    comment_search_document,
)
from supportdesk.errors import NotFound
from supportdesk.types import AnyUser
from tenants.access import tenants_for
from tenants.models import IntakeField, PlanPriority
from tenants.roles import is_support_staff


def cases_for(user: AnyUser) -> QuerySet[Case]:
    """Cases of the tenants the user may act for (all of them for support staff)."""
    if is_support_staff(user):
        return Case.objects.all()
    return Case.objects.filter(tenant__in=tenants_for(user))


def case_list_for(
    user: AnyUser,
    *,
    tenant_id: int,
    closed: bool = False,
    state: str = "",
    priority: str = "",
    query: str = "",
) -> QuerySet[Case]:
    """One tenant's open (or closed) cases as the user may see them, filtered by state
    and priority; with a `query`, the open and closed cases that `case_search` finds."""
    cases = cases_for(user).filter(tenant_id=tenant_id).defer(*LONG_TEXT_FIELDS)
    if query.strip():
        # A search looks through open and closed cases alike, best match first.
        cases = case_search(cases, query, viewer=user).order_by(
            F("search_rank").desc(), "-updated_at", "-id"
        )
    elif closed:
        cases = cases.filter(state=State.CLOSED).order_by("-closed_at", "-id")
    else:
        cases = cases.filter(open_cases_q()).order_by("-updated_at", "-id")
    if state and state in State.values:
        cases = cases.filter(state=state)
    if priority:
        cases = cases.filter(priority=priority)
    return cases.select_related("owner", "reporter", "partner")


def cases_matching(
    user: AnyUser,
    *,
    tenant_id: int | None = None,
    status: str = "all",
    states: Sequence[str] = (),
    priority: str = "",
    category: str = "",
    query: str = "",
    updated_since: datetime | None = None,
) -> QuerySet[Case]:
    """The cases of every tenant the user may act for (or of one), filtered: `status`
    is "open", "closed" or "all"; `query` as on the dashboard. Unordered."""
    cases = cases_for(user)
    if tenant_id is not None:
        cases = cases.filter(tenant_id=tenant_id)
    if status == "open":
        cases = cases.filter(state__in=OPEN_STATES)
    elif status == "closed":
        cases = cases.filter(state=State.CLOSED)
    if states:
        cases = cases.filter(state__in=states)
    if priority:
        cases = cases.filter(priority=priority)
    if category:
        cases = cases.filter(category=category)
    if updated_since is not None:
        cases = cases.filter(updated_at__gte=updated_since)
    return case_search(cases, query, viewer=user).select_related(
        "tenant", "owner", "reporter", "partner"
    )


def case_by_reference(user: AnyUser, reference: str, *, with_priority: bool = False) -> Case:
    """The case with this reference if the user may see it; NotFound otherwise, the same
    answer for a guessed reference as for one that does not exist. `with_priority` reads
    the plan's name and rank of its priority along (`plan_priority_name`, `plan_priority_rank`)."""
    cases = cases_for(user).select_related(
        "tenant__plan", "owner", "reporter", "partner", "known_issue"
    )
    if with_priority:
        priority = PlanPriority.objects.filter(
            plan_id=OuterRef("tenant__plan_id"), code=OuterRef("priority")
        )
        cases = cases.annotate(
            plan_priority_name=Subquery(priority.values("name")[:1]),
            plan_priority_rank=Subquery(priority.values("rank")[:1]),
        )
    case = cases.filter(reference=reference).first()
    if case is None:
        raise NotFound("No such case.")
    return case


def comments_for(user: AnyUser, case: Case) -> QuerySet[Comment]:
    comments = case.comments.select_related("author").prefetch_related("attachments")
    return comments if is_support_staff(user) else comments.filter(public=True)


def events_for(user: AnyUser, case: Case) -> QuerySet[CaseEvent]:
    events = case.events.select_related("actor")
    return events if is_support_staff(user) else events.filter(public=True)


def thread_for(user: AnyUser, case: Case) -> tuple[list[CaseEvent], list[Comment]]:
    """`events_for` and `comments_for` in one read: the events with their comments joined,
    and the comments among them the user may see (the same rule as `comments_for`)."""
    events = list(events_for(user, case).select_related("comment__author"))
    staff = is_support_staff(user)
    comments = [
        event.comment
        for event in events
        if event.comment is not None and (staff or event.comment.public)
    ]
    return events, comments


def attachments_for(user: AnyUser) -> QuerySet[Attachment]:
    """Attachments the user may download: of visible cases, and public unless staff."""
    attachments = Attachment.objects.filter(case__in=cases_for(user))
    return attachments if is_support_staff(user) else attachments.filter(public=True)


def watchers_for(user: AnyUser, case: Case) -> QuerySet[CaseWatcher]:
    """The case's notification list; empty unless the user may see the case."""
    return CaseWatcher.objects.filter(case__in=cases_for(user), case=case).select_related(
        "added_by"
    )


def closure_survey(case: Case) -> SatisfactionSurvey | None:
    """The answer to the survey of the case's current closure, if there is one."""
    if case.closed_at is None:
        return None
    return case.surveys.filter(closed_at=case.closed_at).first()


def queue_for(user: AnyUser) -> QuerySet[Case]:
    """The staff queue: every case the user may see, in the order work is taken, with what
    the queue's columns show joined in (a fixed number of queries per page)."""
    return (
        cases_for(user)
        .select_related("tenant__plan", "owner", "group", "known_issue")
        .order_by(*QUEUE_ORDER)
    )


def waiting_on_us(cases: QuerySet[Case]) -> QuerySet[Case]:
    """The cases where the customer spoke last: being worked (new or in progress, not
    waiting on the customer) and their latest public comment is not support's, or there
    is none yet (the filing is the customer's word). Read per case through the comments'
    (case, created_at) index, so it belongs on an already narrow list (one owner's cases)."""
    latest = (
        Comment.objects.filter(case=OuterRef("pk"), public=True)
        .order_by("-created_at", "-id")
        .values("by_staff")[:1]
    )
    return (
        cases.filter(state__in=[State.NEW, State.IN_PROGRESS])
        .annotate(support_spoke_last=Subquery(latest))
        .filter(Q(support_spoke_last=False) | Q(support_spoke_last__isnull=True))
    )


_REFERENCE = re.compile(r"^([A-Za-z][A-Za-z0-9]{1,9})-0*(\d{1,9})$")


def normal_reference(text: str) -> str | None:
    """ACME-42, acme-00042 → ACME-00042; None when the text is not a case reference."""
    match = _REFERENCE.match(text.strip())
    if match is None:
        return None
    prefix, number = match.groups()
    return f"{prefix.upper()}-{int(number):05d}"


def case_search(cases: QuerySet[Case], text: str, *, viewer: AnyUser) -> QuerySet[Case]:
    """The one search box, for the staff queue and the portal. Every word must match: a
    case reference (ACME-42 or ACME-00042) finds that case, an email address (or part of
    one with "@") the cases its contact reported, the other words the case's summary,
    description and answers to the plan's questions, or one of its comments (internal
    notes only for support staff). On PostgreSQL the words are a full-text query
    (`websearch_to_tsquery`, so "quoted phrases" and -exclusions work) served by the GIN
    expression indexes of migration 0020 and annotated with `search_rank` (summary over
    description over answers; a match only in comments ranks last); elsewhere each word
    is a case-insensitive substring and `search_rank` is 0."""
    words = text.split()[:8]
    plain = []
    for word in words:
        reference = normal_reference(word)
        if reference:
            cases = cases.filter(reference=reference)
        elif "@" in word:
            reporters = get_user_model().objects.filter(email__icontains=word).values("id")
            cases = cases.filter(reporter_id__in=reporters)
        else:
            plain.append(word)
    comments = (
        Comment.objects.all() if is_support_staff(viewer) else Comment.objects.filter(public=True)
    )
    if not plain:
        return cases.annotate(search_rank=Value(0.0, output_field=FloatField()))
    if connection.vendor != "postgresql":
        for word in plain:
            cases = cases.filter(
                Q(summary__icontains=word)
                | Q(description__icontains=word)
                | Q(custom_search__icontains=word)
                | Q(id__in=comments.filter(body__icontains=word).values("case_id"))
            )
        return cases.annotate(search_rank=Value(0.0, output_field=FloatField()))
    query = SearchQuery(" ".join(plain), config=SEARCH_CONFIG, search_type="websearch")
    by_case = (
        Case.objects.annotate(search_document=case_search_document())
        .filter(search_document=query)
        .order_by()
        .values("id")
    )
    by_comment = (
        comments.annotate(search_document=comment_search_document())
        .filter(search_document=query)
        .order_by()
        .values("case_id")
    )
    # One IN over the union of both index scans, so PostgreSQL joins the few matching ids
    # to the cases rather than scanning every case to test two conditions per row.
    return cases.filter(id__in=by_case.union(by_comment)).annotate(
        search_rank=SearchRank(case_search_document(), query)
    )


def custom_answers(
    case: Case, *, stages: Sequence[str] = (IntakeField.Stage.INTAKE, IntakeField.Stage.CLOSURE)
) -> list[tuple[str, str]]:
    """The case's answers to its plan's questions of `stages` as (label, text), in the
    plan's order; an answer whose field was since removed shows under its key (staff only
    see those: they are kept, not lost)."""
    values = case.custom_fields or {}
    if not values:
        return []
    fields = {f.key: f for f in case.tenant.plan.intake_fields.all()}
    shown = []
    for key, value in values.items():
        field = fields.get(key)
        if field is not None and field.stage not in stages:
            continue
        if field is None and len(stages) < 2:
            continue
        text = ("Yes" if value else "No") if isinstance(value, bool) else str(value)
        order = (
            (field.stage != IntakeField.Stage.INTAKE, field.order, field.id)
            if field
            else (True, 9999, 0)
        )
        shown.append((order, field.label if field else key, text))
    return [(label, text) for _order, label, text in sorted(shown)]


def at_risk_window() -> timedelta:
    return timedelta(minutes=settings.SLA_AT_RISK_MINUTES)


def open_cases_q() -> Q:
    return ~Q(state=State.CLOSED)


def breached_q(now: datetime) -> Q:
    """Open cases whose next due time has passed (a case without a clock never breaches)."""
    return open_cases_q() & Q(next_due_at__lt=now)


def at_risk_q(now: datetime) -> Q:
    return open_cases_q() & Q(next_due_at__gte=now, next_due_at__lt=now + at_risk_window())


def due_within_q(now: datetime, hours: int) -> Q:
    """Open cases due in the next `hours` hours and not yet breached."""
    return open_cases_q() & Q(next_due_at__gte=now, next_due_at__lte=now + timedelta(hours=hours))


@dataclass(frozen=True)
class DueStatus:
    level: str  # "breached", "at_risk", "on_track" or "none"
    time_left: timedelta | None

    @property
    def label(self) -> str:
        if self.time_left is None:
            return "no clock"
        words = _duration_words(abs(self.time_left))
        return f"{words} overdue" if self.level == "breached" else f"{words} left"


def due_status(case: Case, now: datetime) -> DueStatus:
    """How the case stands against its next due time: NULL (closed, paused, or a category
    without targets) is no clock."""
    if case.next_due_at is None or not case.is_open:
        return DueStatus("none", None)
    left = case.next_due_at - now
    if left < timedelta(0):
        return DueStatus("breached", left)
    if left < at_risk_window():
        return DueStatus("at_risk", left)
    return DueStatus("on_track", left)


def _duration_words(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m"


def triage_queue(user: AnyUser) -> QuerySet[Case]:
    """New cases nobody owns yet, in the queue's order, with what the artifacts checklist
    needs counted in the same query."""
    files = Attachment.objects.filter(case=OuterRef("pk")).order_by().values("case")
    visual = files.filter(
        Q(content_type__startswith="image/") | Q(content_type__startswith="video/")
    )
    # Correlated counts rather than a join and GROUP BY, so only the page's rows are counted.
    return (
        cases_for(user)
        .filter(state=State.NEW, owner__isnull=True)
        .select_related("tenant__plan", "reporter")
        .annotate(
            attachment_count=Coalesce(Subquery(files.annotate(n=Count("id")).values("n")), 0),
            screenshot_count=Coalesce(Subquery(visual.annotate(n=Count("id")).values("n")), 0),
        )
        .order_by(*QUEUE_ORDER)
    )


@dataclass(frozen=True)
class ChecklistItem:
    label: str
    present: bool
    detail: str = ""


def artifacts_checklist(case: Case) -> list[ChecklistItem]:
    """What triage looks for before work starts; `case` comes from `triage_queue`."""
    attachments = getattr(case, "attachment_count", 0)
    screenshots = getattr(case, "screenshot_count", 0)
    impact_parts = [case.business_impact_details.strip()]
    if case.users_affected is not None:
        impact_parts.append(f"{case.users_affected} users affected")
    impact = "; ".join(part for part in impact_parts if part)
    files = f"{attachments} file(s), {screenshots} screenshot(s) or video(s)"
    return [
        ChecklistItem("Steps to reproduce", bool(case.steps_to_reproduce.strip())),
        ChecklistItem(
            "Expected and actual result",
            bool(case.expected_result.strip() and case.actual_result.strip()),
        ),
        ChecklistItem(
            "Screenshots or attachments",
            attachments > 0,
            files if attachments else "",
        ),
        ChecklistItem("Business impact", bool(impact), impact[:120]),
    ]


def macros_for(user: AnyUser) -> QuerySet[Macro]:
    """The macros a user sees: the shared ones and their own personal ones (archived
    included: the admin lists them); none for anyone outside support staff."""
    if not is_support_staff(user):
        return Macro.objects.none()
    return Macro.objects.filter(Q(owner__isnull=True) | Q(owner=user))


def macros_usable_by(user: AnyUser) -> QuerySet[Macro]:
    """The macros a case page offers the user: visible and not archived."""
    return macros_for(user).filter(is_archived=False)
