"""Who is told about a case event, and what: the case's side of the outbox.

`record_event` calls `notify_case_event` for every timeline event, inside the service's
transaction, so the Notification rows commit (or roll back) with the change itself. The
notifications app gets plain context from here; it never looks a case up.

Recipients follow the case: the customer side (reporter, the partner user who filed,
the tenant's notification list) and, for staff events, the owner and the staff roles.
The person who acted is never told about their own action, except for the receipt of a
case they filed themselves, which is the point of that email.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import prefetch_related_objects
from django.urls import reverse

from cases.models import Case, CaseEvent, CloseReason, ContactAttempt, State
from cases.survey_links import survey_link
from knowledge.following import known_issue_email_context
from knowledge.models import KnownIssue
from notifications.outbox import OutgoingEmail, mail_domain
from notifications.reply_tokens import reply_address
from notifications.services import outbox_enqueue_many
from supportdesk.types import User
from tenants.access import acting_pairs, can_act_for
from tenants.account_teams import people_in_roles
from tenants.models import AccountRole, NotificationAddress
from tenants.roles import Role, is_support_staff


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str = ""
    user: User | None = None
    staff: bool = False


def _person(user: User, *, staff: bool = False) -> Recipient:
    return Recipient(
        email=user.email, name=user.get_full_name() or user.email, user=user, staff=staff
    )


@dataclass
class Batch:
    """What the recipients of the events being notified need, handed to every handler.
    `notify_case_events` reads it once for many events (who may act for which tenant, the
    tenants' notification lists) and holds their emails to write them to the outbox
    together at the end; an event alone gets an empty batch, which asks as it goes and
    writes at once."""

    acting: set[tuple[int, int]] = field(default_factory=set)
    asked: set[tuple[int, int]] = field(default_factory=set)
    lists: dict[int, list[Recipient]] = field(default_factory=dict)
    staff: dict[Role, list[Recipient]] = field(default_factory=dict)
    hold: bool = False
    emails: list[OutgoingEmail] = field(default_factory=list)

    def may_act(self, user: User, tenant_id: int) -> bool:
        if (user.pk, tenant_id) in self.asked:
            return (user.pk, tenant_id) in self.acting
        return can_act_for(user, tenant_id)

    def notification_list(self, tenant_id: int) -> list[Recipient]:
        if tenant_id not in self.lists:
            return [
                Recipient(email=address.email, name=address.name)
                for address in NotificationAddress.objects.filter(tenant_id=tenant_id)
            ]
        return self.lists[tenant_id]

    def staff_in(self, role: Role) -> list[Recipient]:
        if role not in self.staff:
            users = get_user_model().objects.filter(
                is_active=True, is_staff=True, groups__name=role.value
            )
            self.staff[role] = [_person(user, staff=True) for user in users.order_by("id")]
        return self.staff[role]

    def send(self, emails: list[OutgoingEmail]) -> list[int]:
        """The outbox ids of the emails written; none while the batch holds them."""
        if self.hold:
            self.emails += emails
            return []
        return outbox_enqueue_many(emails)


# --- Where recipients come from. Each source yields the people of one kind; adding a
# kind of recipient (e.g. the case's watchers) is one more entry in CUSTOMER_SOURCES.


def reporter(case: Case, batch: Batch) -> Iterable[Recipient]:
    """The contact who filed the case (for a partner-filed case, the partner user)."""
    if case.reporter.is_active and batch.may_act(case.reporter, case.tenant_id):
        yield _person(case.reporter)


def acting_partner_user(case: Case, batch: Batch) -> Iterable[Recipient]:
    """The partner member who filed for the tenant: the reporter of a partner case, and
    only while the partner's letter of authorization is active."""
    if case.partner_id is not None:
        yield from reporter(case, batch)


def case_watchers(case: Case, batch: Batch) -> Iterable[Recipient]:
    """People copied on this case, while whoever added them may still act for the tenant:
    an address chosen by a removed contact or a partner whose letter was rescinded gets no
    more of the tenant's mail, even before its row is removed. Staff add watchers at the
    customer's request; those stay when the staff member leaves."""
    watchers = case.watchers.all()
    if "watchers" not in getattr(case, "_prefetched_objects_cache", {}):
        watchers = watchers.select_related("added_by")
    allowed: dict[int, bool] = {}
    for watcher in watchers:
        added_by = watcher.added_by
        if added_by.pk not in allowed:
            allowed[added_by.pk] = added_by.is_staff or (
                added_by.is_active and batch.may_act(added_by, case.tenant_id)
            )
        if allowed[added_by.pk]:
            yield Recipient(email=watcher.email, name=watcher.name)


def tenant_notification_list(case: Case, batch: Batch) -> Iterable[Recipient]:
    return batch.notification_list(case.tenant_id)


CUSTOMER_SOURCES: list[Callable[[Case, Batch], Iterable[Recipient]]] = [
    reporter,
    acting_partner_user,
    case_watchers,
    tenant_notification_list,
]


def _owner(case: Case, batch: Batch) -> Iterable[Recipient]:
    if case.owner is not None and is_support_staff(case.owner):
        yield _person(case.owner, staff=True)


STAFF_SOURCES: dict[str, Callable[[Case, Batch], Iterable[Recipient]]] = {
    "owner": _owner,
    "triage_lead": lambda case, batch: batch.staff_in(Role.TRIAGE_LEAD),
    "manager": lambda case, batch: batch.staff_in(Role.MANAGER),
}


def _unique(recipients: Iterable[Recipient], actor: User | None) -> list[Recipient]:
    """One message per address, the actor left out: the first source that names an
    address wins, so a user's own record (and their preferences) beats a list entry."""
    seen: set[str] = set()
    if actor is not None and actor.email:
        seen.add(actor.email.lower())
    unique = []
    for recipient in recipients:
        key = recipient.email.strip().lower()
        if not key or key in seen or (actor is not None and recipient.user == actor):
            continue
        seen.add(key)
        unique.append(recipient)
    return unique


def customer_recipients(
    case: Case, batch: Batch, *, exclude: User | None = None
) -> list[Recipient]:
    return _unique((r for source in CUSTOMER_SOURCES for r in source(case, batch)), exclude)


def staff_recipients(
    case: Case, batch: Batch, roles: Iterable[str], *, exclude: User | None = None
) -> list[Recipient]:
    return _unique(
        (r for role in roles if role in STAFF_SOURCES for r in STAFF_SOURCES[role](case, batch)),
        exclude,
    )


def _owner_or_triage(case: Case, batch: Batch, actor: User | None) -> list[Recipient]:
    """Who on our side hears a customer's move: the owner, or the triage leads while the
    case has none."""
    roles = ["owner"] if case.owner_id else ["triage_lead"]
    return staff_recipients(case, batch, roles, exclude=actor)


# --- Links and wording.


def portal_case_url(case: Case) -> str:
    return f"{settings.SITE_URL}/cases/{case.reference}/"


def staff_case_url(case: Case) -> str:
    return settings.SITE_URL + reverse("admin:cases_case_change", args=[case.id])


def survey_url(case: Case, recipient: Recipient | None = None) -> str:
    """The satisfaction survey link of one recipient's closure email (it stops working
    when that recipient loses access to the tenant); the reporter's by default."""
    if recipient is None:
        return survey_link(case, user_id=None)
    if recipient.user is not None:
        return survey_link(case, user_id=recipient.user.pk)
    return survey_link(case, email=recipient.email)


def thread_id(case: Case) -> str:
    """The Message-ID every email about the case refers to, so mail clients thread them."""
    return f"<case.{case.reference.lower()}@{mail_domain()}>"


def _when(moment: datetime | None, time_zone: str) -> str:
    if moment is None:
        return ""
    local = moment.astimezone(ZoneInfo(time_zone or "UTC"))
    return local.strftime("%a %d %b %Y, %H:%M %Z")


def _name(user: User | None) -> str:
    if user is None:
        return "SupportDesk"
    return user.get_full_name() or user.email or user.get_username()


def _context(case: Case, recipient: Recipient, event: CaseEvent | None) -> dict:
    actor = event.actor if event is not None else None
    comment = event.comment if event is not None else None
    return {
        "reference": case.reference,
        "summary": case.summary,
        "tenant": case.tenant.name,
        "priority": case.priority,
        "state": case.get_state_display(),
        "case_url": staff_case_url(case) if recipient.staff else portal_case_url(case),
        "recipient_name": recipient.name,
        "staff": recipient.staff,
        "actor_name": _name(actor),
        "body": comment.body if comment is not None and comment.public else "",
    }


Formatter = Callable[[datetime | None], str]


def _write(
    batch: Batch,
    case: Case,
    recipients: list[Recipient],
    *,
    event_name: str,
    template: str,
    key: str = "",
    event: CaseEvent | None = None,
    extra: Callable[[Formatter], dict] | None = None,
    per_recipient: Callable[[Recipient], dict] | None = None,
    reply: bool = True,
) -> list[int]:
    """One outbox row per recipient, deduplicated by `key` (by default, the event's).
    `extra` adds the message's own facts to the context; it gets a formatter that writes
    times in the recipient's time zone (the tenant's for customers, the desk's for staff);
    `per_recipient` adds what differs between recipients (their own survey link).
    Returns the outbox ids (none while the batch holds the rows for its end)."""
    if not key:
        if event is None:
            raise TypeError("_write needs a key or an event to make one from.")
        key = f"case-event:{event.id}"
    reply_to = reply_address(case.id) if reply else ""
    emails = []
    for recipient in recipients:
        context = _context(case, recipient, event)
        time_zone = settings.TIME_ZONE if recipient.staff else case.tenant.time_zone
        if extra is not None:

            def when(moment: datetime | None, tz: str = time_zone) -> str:
                return _when(moment, tz)

            context.update(extra(when))
        if per_recipient is not None:
            context.update(per_recipient(recipient))
        emails.append(
            OutgoingEmail(
                recipient=recipient.email,
                user_id=recipient.user.pk if recipient.user is not None else None,
                event=event_name,
                template=template,
                context=context,
                dedup_key=f"{key}:{recipient.email.strip().lower()}",
                case_id=case.id,
                reply_to=reply_to,
                references=(thread_id(case),),
            )
        )
    return batch.send(emails)


# --- What each kind of timeline event tells whom.


def _created(event: CaseEvent, batch: Batch) -> list[int]:
    case = event.case
    # The receipt goes to the reporter even when they filed the case themselves, unless
    # the intake asked for none (mail from a mailing list gets no acknowledgement).
    acknowledge = event.data.get("acknowledge", True)
    return _write(
        batch,
        case,
        customer_recipients(case, batch, exclude=None if acknowledge else case.reporter),
        event_name="case.received",
        template="case_received",
        event=event,
        extra=lambda when: {
            "due": when(case.initial_response_due),
            "channel": case.get_channel_display(),
        },
    )


def _commented(event: CaseEvent, batch: Batch) -> list[int]:
    if not event.public:
        return []
    case = event.case
    if event.data.get("by_staff"):
        return _write(
            batch,
            case,
            customer_recipients(case, batch, exclude=event.actor),
            event_name="case.support_replied",
            template="case_support_replied",
            event=event,
        )
    return _write(
        batch,
        case,
        _owner_or_triage(case, batch, event.actor),
        event_name="case.customer_replied",
        template="case_customer_replied",
        event=event,
        extra=lambda when: {"resumed": event.from_state == State.AWAITING_INFORMATION},
    )


def _contact_attempt(event: CaseEvent, batch: Batch) -> list[int]:
    if not event.public:
        return []  # a phone call is logged for staff; the customer was on the phone
    case = event.case
    number = event.data.get("number")
    if number == 1:
        return _write(
            batch,
            case,
            customer_recipients(case, batch, exclude=event.actor),
            event_name="case.info_requested",
            template="case_info_requested",
            event=event,
        )
    if number == 2:
        attempts = [
            attempt
            for attempt in case.contact_attempts.all()
            if attempt.number == 2 and event.data.get("round", attempt.round) == attempt.round
        ]
        attempt: ContactAttempt | None = max(attempts, key=lambda a: a.round, default=None)
        closure = attempt.closure_date if attempt is not None else None
        comment = event.comment
        body = comment.body if comment is not None else (attempt.note if attempt else "")
        return _write(
            batch,
            case,
            customer_recipients(case, batch, exclude=event.actor),
            event_name="case.follow_up",
            template="case_follow_up",
            event=event,
            extra=lambda when: {"closure_date": when(closure), "body": body},
        )
    return []


def _state_changed(event: CaseEvent, batch: Batch) -> list[int]:
    case = event.case
    if event.to_state == State.SOLUTION_PROPOSED:
        return _write(
            batch,
            case,
            customer_recipients(case, batch, exclude=event.actor),
            event_name="case.solution_proposed",
            template="case_solution_proposed",
            event=event,
        )
    if event.from_state == State.SOLUTION_PROPOSED and event.to_state == State.IN_PROGRESS:
        return _write(
            batch,
            case,
            _owner_or_triage(case, batch, event.actor),
            event_name="case.solution_rejected",
            template="case_solution_rejected",
            event=event,
        )
    return []


def _closed(event: CaseEvent, batch: Batch) -> list[int]:
    case = event.case
    reason = event.data.get("reason") or case.close_reason
    return _write(
        batch,
        case,
        customer_recipients(case, batch, exclude=event.actor),
        event_name="case.closed",
        template="case_closed",
        event=event,
        extra=lambda when: {
            "reason": CloseReason(reason).label if reason in CloseReason.values else "",
            "reopen_days": case.tenant.plan.reopen_window_days,
        },
        per_recipient=lambda recipient: {"survey_url": survey_url(case, recipient)},
    )


def _reopened(event: CaseEvent, batch: Batch) -> list[int]:
    case = event.case
    return _write(
        batch,
        case,
        _owner_or_triage(case, batch, event.actor),
        event_name="case.reopened",
        template="case_reopened",
        event=event,
    )


def _owner_changed(event: CaseEvent, batch: Batch) -> list[int]:
    case = event.case
    return _write(
        batch,
        case,
        staff_recipients(case, batch, ["owner"], exclude=event.actor),
        event_name="case.assigned",
        template="case_assigned",
        event=event,
    )


_METRICS = {
    "initial_response": "initial response",
    "update": "next update",
    "resolution": "resolution",
}
_STAFF_ALERTS: dict[str, tuple[str, str, list[str]]] = {
    CaseEvent.Kind.UPDATE_REMINDER: ("case.update_reminder", "case_update_reminder", ["owner"]),
    CaseEvent.Kind.SOLUTION_REMINDER: (
        "case.solution_reminder_staff",
        "case_solution_reminder_staff",
        ["owner"],
    ),
    CaseEvent.Kind.SLA_AT_RISK: ("case.sla_at_risk", "case_sla_at_risk", ["owner", "triage_lead"]),
    CaseEvent.Kind.SLA_BREACHED: (
        "case.sla_breached",
        "case_sla_breached",
        ["owner", "triage_lead", "manager"],
    ),
    CaseEvent.Kind.ESCALATED: ("case.escalated", "case_escalated", ["manager"]),
}


def _staff_alert(event: CaseEvent, batch: Batch) -> list[int]:
    """Reminders and SLA warnings: event.data names who is told ({"notify": ["owner",
    "triage_lead", "manager"], "metric": ..., "due": iso}); "customer" in the list sends
    the customer's version (the reminder about a proposed solution)."""
    case = event.case
    event_name, template, default_roles = _STAFF_ALERTS[event.kind]
    roles = list(event.data.get("notify") or default_roles)
    metric = str(event.data.get("metric") or "")
    due = _parse_due(event.data.get("due"))

    def extra(when: Formatter) -> dict:
        return {
            "metric": _METRICS.get(metric, metric.replace("_", " ")),
            "due": when(due),
            "kind": event.get_kind_display(),
        }

    ids = _write(
        batch,
        case,
        staff_recipients(case, batch, roles, exclude=event.actor),
        event_name=event_name,
        template=template,
        event=event,
        extra=extra,
        reply=False,
    )
    if "customer" in roles and event.kind == CaseEvent.Kind.SOLUTION_REMINDER:
        ids += _write(
            batch,
            case,
            customer_recipients(case, batch, exclude=event.actor),
            event_name="case.solution_reminder",
            template="case_solution_reminder",
            event=event,
            extra=extra,
        )
    return ids


def _parse_due(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def _known_issue_linked(event: CaseEvent, batch: Batch) -> list[int]:
    """The customer hears that their case is an instance of a known defect: which one, its
    stage and target date, and that the case closes when it is fixed."""
    case = event.case
    issue = KnownIssue.objects.filter(id=event.data.get("known_issue")).first()
    if issue is None:
        return []
    return _write(
        batch,
        case,
        customer_recipients(case, batch, exclude=event.actor),
        event_name="case.known_issue_linked",
        template="case_known_issue_linked",
        event=event,
        extra=lambda when: known_issue_email_context(issue, known_issue_url(issue)),
    )


def known_issue_url(known_issue: KnownIssue) -> str:
    return settings.SITE_URL + reverse("portal:known_issue", args=[known_issue.pk])


def customer_addresses(cases: Iterable[Case]) -> set[str]:
    """The addresses the customer side of these cases is emailed at (lowercased): a change
    told through the cases is not told again to a follower of the known issue."""
    batch = Batch()
    return {
        recipient.email.strip().lower()
        for case in cases
        for recipient in customer_recipients(case, batch)
    }


def _survey_answered(event: CaseEvent, batch: Batch) -> list[int]:
    """ "Please have a manager contact me" goes to the tenant's account team (the CSM and
    their director), or to the support managers when the tenant has no team."""
    if not event.data.get("manager_contact"):
        return []
    case = event.case
    people = people_in_roles(
        case.tenant, [AccountRole.CUSTOMER_SUCCESS_MANAGER, AccountRole.CUSTOMER_SUCCESS_DIRECTOR]
    )
    survey = case.surveys.order_by("-answered_at").first()
    recipients = [Recipient(email=p.email, name=p.name, user=p.user, staff=True) for p in people]
    return _write(
        batch,
        case,
        _unique(recipients, None),
        event_name="survey.manager_contact",
        template="survey_manager_contact",
        event=event,
        extra=lambda when: {
            "service": event.data.get("service"),
            "timeliness": event.data.get("timeliness"),
            "quality": event.data.get("quality"),
            "comment": survey.comment if survey is not None else "",
        },
        reply=False,
    )


_HANDLERS: dict[str, Callable[[CaseEvent, Batch], list[int]]] = {
    CaseEvent.Kind.SURVEY_ANSWERED: _survey_answered,
    CaseEvent.Kind.CREATED: _created,
    CaseEvent.Kind.COMMENTED: _commented,
    CaseEvent.Kind.CONTACT_ATTEMPT: _contact_attempt,
    CaseEvent.Kind.STATE_CHANGED: _state_changed,
    CaseEvent.Kind.CLOSED: _closed,
    CaseEvent.Kind.REOPENED: _reopened,
    CaseEvent.Kind.OWNER_CHANGED: _owner_changed,
    CaseEvent.Kind.KNOWN_ISSUE_LINKED: _known_issue_linked,
    **{kind: _staff_alert for kind in _STAFF_ALERTS},
}


def notify_case_event(event: CaseEvent) -> list[int]:
    """Write the outbox rows an event calls for (none for most internal events)."""
    handler = _HANDLERS.get(event.kind)
    return handler(event, Batch()) if handler is not None else []


def notify_case_events(events: list[CaseEvent]) -> None:
    """`notify_case_event` for many events, with what their recipients need read in a
    handful of queries rather than several per event (the sweeps write hundreds)."""
    events = [event for event in events if event.kind in _HANDLERS]
    if not events:
        return
    cases = [event.case for event in events]
    prefetch_related_objects(cases, "tenant__plan", "reporter", "owner", "watchers__added_by")
    prefetch_related_objects(
        [event.case for event in events if event.kind == CaseEvent.Kind.CONTACT_ATTEMPT],
        "contact_attempts",
    )
    asked = {(case.reporter, case.tenant_id) for case in cases}
    asked |= {(w.added_by, case.tenant_id) for case in cases for w in case.watchers.all()}
    lists: dict[int, list[Recipient]] = {case.tenant_id: [] for case in cases}
    for address in NotificationAddress.objects.filter(tenant_id__in=list(lists)):
        lists[address.tenant_id].append(Recipient(email=address.email, name=address.name))
    batch = Batch(
        acting=acting_pairs(asked),
        asked={(user.pk, tenant_id) for user, tenant_id in asked},
        lists=lists,
        hold=True,
    )
    for event in events:
        _HANDLERS[event.kind](event, batch)
    outbox_enqueue_many(batch.emails)


def notify_known_issue_stage(
    case: Case, known_issue: KnownIssue, *, known_issue_url: str = ""
) -> list[int]:
    """Tell the customer side of a case that the known issue it is linked to moved to a new
    stage (called by the known-issue service for each linked open case)."""
    batch = Batch()
    return _write(
        batch,
        case,
        customer_recipients(case, batch),
        event_name="case.known_issue_stage",
        template="case_known_issue_stage",
        key=(
            f"known-issue:{known_issue.pk}:{known_issue.stage}:"
            f"{known_issue.updated_at:%Y%m%d%H%M%S%f}:case-{case.id}"
        ),
        extra=lambda when: known_issue_email_context(known_issue, known_issue_url),
    )
