"""Which staff role each queue action needs: the one table the services enforce and the
admin reads to decide which buttons and actions to offer.

Roles nest (a manager may do what a triage lead may, a triage lead what an engineer may),
so each action names the lowest role that may do it.
"""

from enum import StrEnum

from supportdesk.errors import NotPermitted
from supportdesk.types import AnyUser
from tenants.roles import Role, has_role


class StaffAction(StrEnum):
    WORK_CASES = "work cases"
    ASSIGN_OTHERS = "assign cases to someone else"
    MERGE = "merge duplicate cases"
    RESOLVE_KNOWN_ISSUE = "resolve a known issue and close its cases"
    TRIAGE = "use the triage view"
    HANDLE_ESCALATION = "handle an escalation"
    DASHBOARD = "see the manager dashboard"
    SLA_REPORTS = "see the SLA reports"
    MANAGE_SHARED_MACROS = "manage the shared macros"
    SHARE_QUEUE_VIEWS = "share queue views with all staff"


REQUIRED_ROLE: dict[StaffAction, Role] = {
    # Take a case, reply, add notes, request information, log calls, propose a solution,
    # change priority (with a reason), link or create known issues, escalate, close,
    # transfer an enhancement request.
    StaffAction.WORK_CASES: Role.ENGINEER,
    # Handing work to others and folding customers' cases together are triage decisions.
    StaffAction.ASSIGN_OTHERS: Role.TRIAGE_LEAD,
    StaffAction.MERGE: Role.TRIAGE_LEAD,
    StaffAction.TRIAGE: Role.TRIAGE_LEAD,
    # A shared view is on every engineer's queue: the people who arrange the work make it.
    StaffAction.SHARE_QUEUE_VIEWS: Role.TRIAGE_LEAD,
    # Resolving a known issue closes every linked open case, across customers.
    StaffAction.RESOLVE_KNOWN_ISSUE: Role.TRIAGE_LEAD,
    # An escalation asks for management's attention; management decides it is handled.
    StaffAction.HANDLE_ESCALATION: Role.MANAGER,
    StaffAction.DASHBOARD: Role.MANAGER,
    # Compliance per engineer and customer, CSAT comments: management's figures.
    StaffAction.SLA_REPORTS: Role.MANAGER,
    # Shared macros speak for the whole desk to every customer; triage leads keep them.
    # Any engineer keeps personal macros of their own.
    StaffAction.MANAGE_SHARED_MACROS: Role.TRIAGE_LEAD,
}


def may(actor: AnyUser, action: StaffAction) -> bool:
    return has_role(actor, REQUIRED_ROLE[action])


def refusal(action: StaffAction) -> str:
    """Why the action is refused, naming the role it needs: what services and pages say."""
    return f"Only a {REQUIRED_ROLE[action].value.lower()} may {action.value}."


def require_permission(actor: AnyUser, action: StaffAction) -> None:
    if not may(actor, action):
        raise NotPermitted(refusal(action))
