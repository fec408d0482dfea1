"""Macros: saved replies with placeholders that may also set fields of the case.

`macro_apply` renders the reply and applies every effect through the case's own services
(assign, priority, known issue, internal note, then the reply as a comment, a request for
information or a proposed solution), all in one transaction: a refusal of any part rolls
back the whole macro and its message is the answer. `macro_preview` says the same in
words without writing. Shared macros (no owner) are kept by triage leads and managers;
personal ones by their owner, the only one who sees them.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from cases.models import Case, Macro, MacroAssign, MacroStateAction, State
from cases.selectors import macros_for, macros_usable_by
from cases.services.common import check_version, locked_case
from cases.services.known_issues import case_link_known_issue
from cases.services.lifecycle import (
    case_assign,
    case_change_priority,
    case_comment,
    case_propose_solution,
    case_request_info,
)
from cases.services.permissions import StaffAction, may, require_permission
from knowledge.models import KnownIssue
from supportdesk.errors import InvalidInput, NotFound, require_text
from supportdesk.types import User
from tenants.models import PlanPriority
from tenants.roles import is_support_staff, require_role

PLACEHOLDERS: dict[str, str] = {
    "customer_name": "the name of the contact who reported the case",
    "case_reference": "the case's reference",
    "due_time": "the case's next due time in the customer's time zone",
    "engineer_name": "your name",
}
# Anything in braces is taken for a placeholder, so a typo such as {customer} is caught
# when the macro is saved rather than sent to a customer as it stands.
_BRACED = re.compile(r"\{([^{}\n]*)\}")


def unknown_placeholders(text: str) -> list[str]:
    return sorted({name for name in _BRACED.findall(text) if name.strip() not in PLACEHOLDERS})


def _person(user: User) -> str:
    return user.get_full_name() or user.get_username()


def _due_time(case: Case) -> str:
    """The next due time as the customer reads it: their zone, labelled with its
    abbreviation ("Mon 23 Nov 16:30 EST")."""
    if case.next_due_at is None or not case.is_open:
        return "no due time"
    try:
        zone = ZoneInfo(case.tenant.time_zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local: datetime = case.next_due_at.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %H:%M} {local.tzname()}"


def render(text: str, *, case: Case, actor: User) -> str:
    values = {
        "customer_name": _person(case.reporter),
        "case_reference": case.reference,
        "due_time": _due_time(case),
        "engineer_name": _person(actor),
    }
    return _BRACED.sub(lambda m: values.get(m.group(1).strip(), m.group(0)), text)


@dataclass
class MacroFields:
    """What a macro says and does, as its editor gives it."""

    name: str
    body: str
    shared: bool = False
    state_action: str = MacroStateAction.REPLY
    priority: str = ""
    priority_reason: str = ""
    assign: str = MacroAssign.NONE
    assign_to: User | None = None
    known_issue: KnownIssue | None = None
    internal_note: str = ""


def macro_validate(fields: MacroFields) -> MacroFields:
    """The fields cleaned, or `InvalidInput` naming each field that is wrong."""
    errors: dict[str, list[str]] = {}

    def refuse(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    fields.name = (fields.name or "").strip()
    fields.body = (fields.body or "").strip()
    fields.priority = (fields.priority or "").strip().upper()
    fields.priority_reason = (fields.priority_reason or "").strip()
    fields.internal_note = (fields.internal_note or "").strip()
    if not fields.name:
        refuse("name", "Give the macro a name.")
    if not fields.body:
        refuse("body", "Write the reply the macro sends.")
    known = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
    for name, text in (("body", fields.body), ("internal_note", fields.internal_note)):
        unknown = unknown_placeholders(text)
        if unknown:
            listed = ", ".join("{" + u + "}" for u in unknown)
            refuse(name, f"Unknown placeholder {listed}; the placeholders are {known}.")
    if fields.state_action not in MacroStateAction.values:
        refuse("state_action", "Choose how the reply is sent.")
    if fields.priority:
        if not PlanPriority.objects.filter(code=fields.priority).exists():
            refuse("priority", f"No plan has the priority {fields.priority}.")
        if not fields.priority_reason:
            refuse("priority_reason", "Say why the macro changes the priority.")
    if fields.assign not in MacroAssign.values:
        refuse("assign", "Choose whom the macro assigns the case to.")
    if fields.assign == MacroAssign.USER:
        if fields.assign_to is None or not is_support_staff(fields.assign_to):
            refuse("assign_to", "Name the support engineer the case goes to.")
    else:
        fields.assign_to = None
    if fields.known_issue is not None and fields.known_issue.is_resolved:
        refuse("known_issue", f"{fields.known_issue} is resolved; cases no longer link to it.")
    if errors:
        first = next(iter(errors.values()))[0]
        raise InvalidInput(first, field_errors=errors)
    return fields


def _require_keeper(actor: User, shared: bool, macro: Macro | None = None) -> None:
    require_role(actor, what="keep macros")
    if shared:
        require_permission(actor, StaffAction.MANAGE_SHARED_MACROS)
    elif macro is not None and macro.owner_id != actor.id:
        raise NotFound("No such macro.")


def _assign_fields(macro: Macro, fields: MacroFields, actor: User) -> None:
    macro.name = fields.name
    macro.body = fields.body
    macro.owner = None if fields.shared else actor
    macro.state_action = fields.state_action
    macro.priority = fields.priority
    macro.priority_reason = fields.priority_reason
    macro.assign = fields.assign
    macro.assign_to = fields.assign_to
    macro.known_issue = fields.known_issue
    macro.internal_note = fields.internal_note


@transaction.atomic
def macro_create(*, actor: User, fields: MacroFields) -> Macro:
    """A new macro: personal to the actor, or shared (triage leads and managers)."""
    _require_keeper(actor, fields.shared)
    fields = macro_validate(fields)
    macro = Macro()
    _assign_fields(macro, fields, actor)
    macro.save()
    return macro


def _locked_macro(actor: User, macro_id: int) -> Macro:
    try:
        return macros_for(actor).select_for_update().get(id=macro_id)
    except Macro.DoesNotExist:
        raise NotFound("No such macro.") from None


@transaction.atomic
def macro_update(*, actor: User, macro_id: int, fields: MacroFields) -> Macro:
    """Edit a macro. A personal macro stays its owner's (an owner may share it only if
    they keep shared macros); a shared one is edited by those who keep shared macros."""
    macro = _locked_macro(actor, macro_id)
    _require_keeper(actor, macro.is_shared, macro)
    if not fields.shared and macro.is_shared:
        raise InvalidInput(
            "A shared macro stays shared; archive it and make a personal copy instead.",
            field_errors={"shared": ["A shared macro stays shared."]},
        )
    _require_keeper(actor, fields.shared, macro)
    fields = macro_validate(fields)
    _assign_fields(macro, fields, actor)
    macro.save()
    return macro


@transaction.atomic
def macro_archive(*, actor: User, macro_id: int, archived: bool = True) -> Macro:
    """Archive a macro (it stays on record with its usage, offered no more) or bring it
    back. Nothing is deleted."""
    macro = _locked_macro(actor, macro_id)
    _require_keeper(actor, macro.is_shared, macro)
    macro.is_archived = archived
    macro.save(update_fields=["is_archived", "updated_at"])
    return macro


@dataclass(frozen=True)
class MacroPreview:
    body: str
    effects: list[str]
    warnings: list[str]


def _usable(actor: User, macro_id: int) -> Macro:
    if not is_support_staff(actor):
        raise NotFound("No such macro.")
    try:
        return macros_usable_by(actor).select_related("assign_to", "known_issue").get(id=macro_id)
    except Macro.DoesNotExist:
        raise NotFound("No such macro.") from None


def _new_owner(macro: Macro, actor: User) -> User | None:
    if macro.assign == MacroAssign.ME:
        return actor
    if macro.assign == MacroAssign.USER:
        return macro.assign_to
    return None


def macro_preview(*, case: Case, actor: User, macro: Macro) -> MacroPreview:
    """What applying the macro to the case would send and change, in words; writes
    nothing. Warnings name what the case's services would refuse as things stand."""
    macro = _usable(actor, macro.id)
    effects: list[str] = []
    warnings: list[str] = []
    state = case.state
    owner = _new_owner(macro, actor)
    if owner is not None:
        if owner == case.owner:
            effects.append(f"Owner stays {_person(owner)}.")
        else:
            who = "you" if owner == actor else _person(owner)
            effects.append(f"Assign the case to {who}.")
            if owner != actor and not may(actor, StaffAction.ASSIGN_OTHERS):
                warnings.append("Only a triage lead may assign a case to someone else.")
            if state == State.NEW:
                state = State.IN_PROGRESS
    if macro.priority and macro.priority != case.priority:
        effects.append(f"Change the priority to {macro.priority} ({macro.priority_reason}).")
    if macro.known_issue is not None and macro.known_issue.id != case.known_issue_id:
        effects.append(f"Link the case to {macro.known_issue}.")
    if macro.internal_note:
        effects.append(
            "Add an internal note: " + render(macro.internal_note, case=case, actor=actor)
        )
    if macro.state_action == MacroStateAction.REQUEST_INFO:
        effects.append(
            "Send the reply as a request for information; the case waits on the customer."
        )
        if state != State.IN_PROGRESS:
            warnings.append(f"A {case.get_state_display().lower()} case cannot be put on hold.")
    elif macro.state_action == MacroStateAction.PROPOSE_SOLUTION:
        effects.append("Send the reply as a proposed solution.")
        if state != State.IN_PROGRESS:
            warnings.append(
                f"A solution cannot be proposed on a {case.get_state_display().lower()} case."
            )
    else:
        effects.append("Send the reply to the customer.")
    if "{due_time}" in macro.body and _due_time(case) == "no due time":
        warnings.append("The case has no due time now; {due_time} reads “no due time”.")
    return MacroPreview(
        body=render(macro.body, case=case, actor=actor), effects=effects, warnings=warnings
    )


@transaction.atomic
def macro_apply(
    *,
    case_id: int,
    actor: User,
    macro_id: int,
    expected_version: int | None,
    edited_body: str | None = None,
) -> Case:
    """Apply a macro to a case in one transaction: each effect through the case's own
    service, the reply last (so it can be the response that a state change needs), then
    the macro's usage count. `edited_body` is the reply as the engineer edited it after
    the preview; placeholders left in it are filled in too."""
    if not is_support_staff(actor):
        raise NotFound("No such case.")
    require_role(actor, what="apply macros")
    macro = _usable(actor, macro_id)
    # The lock is held to the end, so the version checked here is the one every effect
    # below builds on; they check no version of their own.
    case = locked_case(actor, case_id)
    check_version(case, expected_version)
    body = render(
        require_text(
            edited_body if edited_body is not None else macro.body, "body", "Write the reply."
        ),
        case=case,
        actor=actor,
    )
    owner = _new_owner(macro, actor)
    if owner is not None and owner != case.owner:
        case_assign(case_id=case.id, actor=actor, owner=owner)
    if macro.priority and macro.priority != case.priority:
        case_change_priority(
            case_id=case.id, actor=actor, priority=macro.priority, reason=macro.priority_reason
        )
    if macro.known_issue is not None and macro.known_issue.id != case.known_issue_id:
        case_link_known_issue(case_id=case.id, actor=actor, known_issue_id=macro.known_issue.id)
    if macro.internal_note:
        case_comment(
            case_id=case.id,
            actor=actor,
            body=render(macro.internal_note, case=case, actor=actor),
            public=False,
        )
    if macro.state_action == MacroStateAction.REQUEST_INFO:
        case_request_info(case_id=case.id, actor=actor, body=body)
    elif macro.state_action == MacroStateAction.PROPOSE_SOLUTION:
        case_propose_solution(case_id=case.id, actor=actor, body=body)
    else:
        case_comment(case_id=case.id, actor=actor, body=body, public=True)
    Macro.objects.filter(id=macro.id).update(
        usage_count=F("usage_count") + 1, last_used_at=timezone.now()
    )
    case.refresh_from_db()
    return case


__all__ = [
    "PLACEHOLDERS",
    "MacroFields",
    "MacroPreview",
    "macro_apply",
    "macro_archive",
    "macro_create",
    "macro_preview",
    "macro_update",
    "macro_validate",
    "render",
    "unknown_placeholders",
]
