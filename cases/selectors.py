"""Reads of cases, all starting from the one access function."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from cases.models import Attachment, Case, CaseEvent, Comment
from tenants.access import tenants_for
from tenants.roles import is_support_staff

User = AbstractBaseUser | AnonymousUser


def cases_for(user: User) -> QuerySet[Case]:
    """Cases of the tenants the user may act for (all of them for support staff)."""
    if is_support_staff(user):
        return Case.objects.all()
    return Case.objects.filter(tenant__in=tenants_for(user))


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
