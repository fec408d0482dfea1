"""Reads for the staff home (`/admin/`): what waits for the signed-in staff user, by role.

Every list is bounded (`supportdesk.bounded`): the first rows, and a count taken over at
most `COUNT_CAP + 1` rows (shown as "100+"). Each list starts from the access function and
reads through an index: the owner's cases (`case_owner_state`), new unassigned cases
(the queue's partial index), live escalations (`customer_escalation_status`) and
escalated cases (`case_escalated`).

Which lists a user gets follows the roles: everyone who works cases has their own cases
and what waits on them; triage leads the new unassigned cases; the account team's staff
(a customer success manager …) the customer escalations at the level their account role
holds; managers every open customer escalation (a level nobody holds falls to them, see
`tenants.account_teams.people_in_roles`) and the cases escalated to management. Security's
approvals are service requests, read by `servicerequests.selectors`.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, F, OuterRef, QuerySet

from cases.metrics import escalated_cases
from cases.models import LONG_TEXT_FIELDS, QUEUE_ORDER, Case, CustomerEscalation, State
from cases.selectors import (
    DueStatus,
    at_risk_q,
    cases_for,
    due_status,
    open_cases_q,
    waiting_on_us,
)
from cases.services.permissions import StaffAction, may
from supportdesk.bounded import COUNT_CAP, SHOWN, Bounded, bounded
from supportdesk.types import AnyUser, User
from tenants.models import AccountTeamMember
from tenants.roles import is_support_staff


@dataclass(frozen=True)
class CaseRow:
    case: Case
    due: DueStatus


@dataclass(frozen=True)
class MyCases:
    """The user's open cases by next due time (breached first, then at risk, then the
    rest, cases without a clock last), with bounded counts of each."""

    total: Bounded[CaseRow]
    breached: Bounded[CaseRow]
    at_risk: Bounded[CaseRow]


def _by_next_due(cases: QuerySet[Case]) -> QuerySet[Case]:
    return (
        cases.defer(*LONG_TEXT_FIELDS)
        .select_related("tenant", "owner")
        .order_by(F("next_due_at").asc(nulls_last=True), *QUEUE_ORDER)
    )


def my_open_cases(user: User, now: datetime) -> MyCases:
    """One query of at most `COUNT_CAP + 1` rows: ordered by next due, the breached cases
    come first and the at-risk ones next, so both counts are read off the same rows."""
    mine = cases_for(user).filter(open_cases_q(), owner_id=user.pk)
    rows = [CaseRow(case, due_status(case, now)) for case in _by_next_due(mine)[: COUNT_CAP + 1]]
    breached = [row for row in rows if row.due.level == "breached"]
    at_risk = [row for row in rows if row.due.level == "at_risk"]
    at_risk_count = len(at_risk)
    if len(rows) > COUNT_CAP and rows[-1].due.level in {"breached", "at_risk"}:
        # The rows stop inside the breached or at-risk cases: count the at-risk ones.
        at_risk_count = mine.filter(at_risk_q(now)).order_by()[: COUNT_CAP + 1].count()
    return MyCases(
        total=Bounded(rows[:SHOWN], len(rows)),
        breached=Bounded(breached[:SHOWN], len(breached)),
        at_risk=Bounded(at_risk[:SHOWN], at_risk_count),
    )


def waiting_on_me(user: User, now: datetime) -> Bounded[CaseRow]:
    """The user's cases where the customer spoke last (`selectors.waiting_on_us`)."""
    found = bounded(_by_next_due(waiting_on_us(cases_for(user).filter(owner_id=user.pk))))
    return Bounded([CaseRow(case, due_status(case, now)) for case in found.rows], found.count)


def new_unassigned(user: AnyUser, now: datetime) -> Bounded[CaseRow]:
    """New cases nobody owns, in the queue's order (what triage takes next)."""
    cases = (
        cases_for(user)
        .filter(state=State.NEW, owner__isnull=True)
        .defer(*LONG_TEXT_FIELDS)
        .select_related("tenant")
        .order_by(*QUEUE_ORDER)
    )
    found = bounded(cases)
    return Bounded([CaseRow(case, due_status(case, now)) for case in found.rows], found.count)


def escalations_waiting_for(user: User) -> QuerySet[CustomerEscalation]:
    """Open customer escalations (not yet acknowledged) the user answers for: at the level
    their account role holds on the tenant's team; every one for managers. Soonest to
    rise first."""
    if not is_support_staff(user):
        return CustomerEscalation.objects.none()
    # Staff see every tenant's cases (`cases_for`), so no access filter joins in here.
    live = CustomerEscalation.objects.filter(status=CustomerEscalation.Status.OPEN)
    if not may(user, StaffAction.HANDLE_ESCALATION):
        holds_level = AccountTeamMember.objects.filter(
            user_id=user.pk, tenant_id=OuterRef("case__tenant_id"), role_id=OuterRef("level_role")
        )
        live = live.filter(Exists(holds_level))
    return live.select_related("case__tenant", "case__owner").order_by(
        F("next_rise_at").asc(nulls_last=True), "raised_at", "id"
    )


def answers_escalations(user: User) -> bool:
    """Whether the home shows the user customer escalations at all: managers, and staff
    who work cases and sit on a tenant's account team."""
    if may(user, StaffAction.HANDLE_ESCALATION):
        return True
    return (
        may(user, StaffAction.WORK_CASES)
        and AccountTeamMember.objects.filter(user_id=user.pk).exists()
    )


@dataclass(frozen=True)
class Home:
    """The lists of one user's home; None where the role does not get that list."""

    my_cases: MyCases | None
    waiting: Bounded[CaseRow] | None
    unassigned: Bounded[CaseRow] | None
    customer_escalations: Bounded[CustomerEscalation] | None
    management_escalations: Bounded[Case] | None


def home_for(user: User, now: datetime) -> Home:
    works = may(user, StaffAction.WORK_CASES)
    return Home(
        my_cases=my_open_cases(user, now) if works else None,
        waiting=waiting_on_me(user, now) if works else None,
        unassigned=new_unassigned(user, now) if may(user, StaffAction.TRIAGE) else None,
        customer_escalations=bounded(escalations_waiting_for(user))
        if answers_escalations(user)
        else None,
        management_escalations=bounded(escalated_cases(cases_for(user)).defer(*LONG_TEXT_FIELDS))
        if may(user, StaffAction.HANDLE_ESCALATION)
        else None,
    )
