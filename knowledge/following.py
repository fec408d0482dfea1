"""Following a known issue: a portal user asks to be emailed when it moves to another
stage, gets a new target date, or is resolved, whether or not a case of theirs is linked.

The emails are written by the service that makes the change, in its transaction:
`cases.services.known_issue_edit` (stage, target date) and
`cases.services.known_issue_resolve`. Those services first tell the customers of the
linked open cases, then hand the addresses they wrote to here, so a follower who already
hears about the change through a case is not emailed twice.
"""

from collections.abc import Collection

from django.db import IntegrityError, transaction

from knowledge.models import KnownIssue, KnownIssueFollower
from notifications.outbox import OutgoingEmail
from notifications.services import outbox_enqueue_many
from supportdesk.errors import NotFound, NotPermitted, StateConflict
from supportdesk.types import AnyUser, User
from tenants.access import portal_access_problem, tenants_for
from tenants.roles import is_support_staff

FOLLOWED_EVENT = "known_issue.followed_changed"
"""The kind of email followers get (notifications.events lists it, so users can turn it
off on their email preferences)."""


def _followable(known_issue_id: int, user: AnyUser) -> KnownIssue:
    """The known issue, if `user` may follow it: a portal user (contact or acting partner
    member) may follow any known issue, since every customer reads them; staff follow
    cases in the queue instead."""
    if not user.is_authenticated or is_support_staff(user):
        raise NotPermitted("Only customers and partners follow known issues.")
    problem = portal_access_problem(user)
    if problem is not None:
        raise NotPermitted(problem)
    issue = KnownIssue.objects.filter(id=known_issue_id).first()
    if issue is None:
        raise NotFound("No such known issue.")
    return issue


def is_following(*, known_issue_id: int, user: AnyUser) -> bool:
    if not user.is_authenticated:
        return False
    return KnownIssueFollower.objects.filter(known_issue_id=known_issue_id, user=user).exists()


@transaction.atomic
def known_issue_follow(*, known_issue_id: int, user: User) -> KnownIssueFollower:
    """Email `user` about this known issue from now on. Following twice is refused, as is
    following a resolved issue (nothing more will happen to it)."""
    issue = _followable(known_issue_id, user)
    if issue.is_resolved:
        raise StateConflict(f"{issue} is already resolved; there is nothing more to follow.")
    try:
        with transaction.atomic():
            return KnownIssueFollower.objects.create(known_issue=issue, user=user)
    except IntegrityError:
        raise StateConflict(f"You already follow {issue}.") from None


@transaction.atomic
def known_issue_unfollow(*, known_issue_id: int, user: User) -> KnownIssue:
    """Stop emailing `user` about this known issue."""
    issue = _followable(known_issue_id, user)
    deleted, _ = KnownIssueFollower.objects.filter(known_issue=issue, user=user).delete()
    if not deleted:
        raise StateConflict(f"You do not follow {issue}.")
    return issue


def known_issue_email_context(issue: KnownIssue, known_issue_url: str) -> dict[str, object]:
    """What a customer's email says of a known issue: never its internal notes."""
    target = issue.target_date
    return {
        "known_issue": str(issue),
        "known_issue_title": issue.title,
        "stage": issue.get_stage_display(),
        "resolved": issue.is_resolved,
        "target_date": target.strftime("%d %b %Y") if target else "",
        "known_issue_summary": issue.public_summary,
        "resolution_note": issue.resolution_note if issue.is_resolved else "",
        "known_issue_url": known_issue_url,
    }


def known_issue_followers_notify(
    *, issue: KnownIssue, known_issue_url: str, already_told: Collection[str] = ()
) -> list[int]:
    """Write the email about the known issue's new stage, target date or resolution to each
    follower who may still use the portal (a removed contact hears no more), except the
    addresses in `already_told` (emailed about the same change through a linked case).
    Called inside the transaction of the change; returns the outbox ids."""
    skip = {address.strip().lower() for address in already_told}
    context = known_issue_email_context(issue, known_issue_url)
    emails = []
    followers = KnownIssueFollower.objects.filter(known_issue=issue, user__is_active=True)
    for follower in followers.select_related("user").order_by("id"):
        user = follower.user
        address = (user.email or "").strip().lower()
        if not address or address in skip or not tenants_for(user).exists():
            continue
        emails.append(
            OutgoingEmail(
                recipient=user.email,
                user_id=user.pk,
                event=FOLLOWED_EVENT,
                template="known_issue_followed",
                context={**context, "recipient_name": user.get_full_name() or user.email},
                dedup_key=(
                    f"known-issue-follow:{issue.pk}:{issue.stage}:"
                    f"{issue.updated_at:%Y%m%d%H%M%S%f}:user-{user.pk}"
                ),
            )
        )
    return outbox_enqueue_many(emails)
