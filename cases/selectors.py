"""Reads of cases, all starting from the one access function."""

from collections.abc import Sequence
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet

from cases.models import (
    OPEN_STATES,
    Attachment,
    Case,
    CaseEvent,
    CaseWatcher,
    Comment,
    SatisfactionSurvey,
    State,
)
from supportdesk.errors import NotFound
from tenants.access import tenants_for
from tenants.roles import is_support_staff

User = AbstractBaseUser | AnonymousUser


def cases_for(user: User) -> QuerySet[Case]:
    """Cases of the tenants the user may act for (all of them for support staff)."""
    if is_support_staff(user):
        return Case.objects.all()
    return Case.objects.filter(tenant__in=tenants_for(user))


def case_list_for(
    user: User,
    *,
    tenant_id: int,
    closed: bool = False,
    state: str = "",
    priority: str = "",
    query: str = "",
) -> QuerySet[Case]:
    """One tenant's open (or closed) cases as the user may see them, filtered by state
    and priority and searched by reference or words of the summary."""
    cases = cases_for(user).filter(tenant_id=tenant_id)
    if closed:
        cases = cases.filter(state=State.CLOSED).order_by("-closed_at", "-id")
    else:
        cases = cases.filter(state__in=OPEN_STATES).order_by("-updated_at", "-id")
    if state and state in State.values:
        cases = cases.filter(state=state)
    if priority:
        cases = cases.filter(priority=priority)
    return _search(cases, query).select_related("owner", "reporter", "partner")


def _search(cases: QuerySet[Case], query: str) -> QuerySet[Case]:
    """Every word must match the reference or appear in the summary."""
    for word in query.split()[:8]:
        cases = cases.filter(Q(reference__iexact=word) | Q(summary__icontains=word))
    return cases


def cases_matching(
    user: User,
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
    return _search(cases, query).select_related("tenant", "owner", "reporter", "partner")


def case_by_reference(user: User, reference: str) -> Case:
    """The case with this reference if the user may see it; NotFound otherwise, the same
    answer for a guessed reference as for one that does not exist."""
    case = (
        cases_for(user)
        .select_related("tenant__plan", "owner", "reporter", "partner")
        .filter(reference=reference)
        .first()
    )
    if case is None:
        raise NotFound("No such case.")
    return case


def comments_for(user: User, case: Case) -> QuerySet[Comment]:
    comments = case.comments.select_related("author").prefetch_related("attachments")
    return comments if is_support_staff(user) else comments.filter(public=True)


def events_for(user: User, case: Case) -> QuerySet[CaseEvent]:
    events = case.events.select_related("actor")
    return events if is_support_staff(user) else events.filter(public=True)


def attachments_for(user: User) -> QuerySet[Attachment]:
    """Attachments the user may download: of visible cases, and public unless staff."""
    attachments = Attachment.objects.filter(case__in=cases_for(user))
    return attachments if is_support_staff(user) else attachments.filter(public=True)


def watchers_for(user: User, case: Case) -> QuerySet[CaseWatcher]:
    """The case's notification list; empty unless the user may see the case."""
    return CaseWatcher.objects.filter(case__in=cases_for(user), case=case).select_related(
        "added_by"
    )


def closure_survey(case: Case) -> SatisfactionSurvey | None:
    """The answer to the survey of the case's current closure, if there is one."""
    if case.closed_at is None:
        return None
    return case.surveys.filter(closed_at=case.closed_at).first()
