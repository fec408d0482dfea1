"""Every change to a case, one function per verb; see `lifecycle` for the common shape.

Views, admin actions, the API, inbound mail and tasks import from here.
"""

from cases.services.enhancements import case_transfer_enhancement
from cases.services.escalation import case_de_escalate, case_escalate
from cases.services.known_issues import (
    case_create_known_issue,
    case_link_known_issue,
    case_unlink_known_issue,
    known_issue_resolve,
)
from cases.services.lifecycle import (
    case_accept_solution,
    case_assign,
    case_cancel,
    case_change_priority,
    case_close,
    case_close_after_silence,
    case_close_for_no_response,
    case_comment,
    case_create,
    case_log_phone_attempt,
    case_propose_solution,
    case_reject_solution,
    case_reopen,
    case_request_info,
)
from cases.services.merge import case_merge
from cases.services.permissions import StaffAction, may, require_permission

__all__ = [
    "StaffAction",
    "case_accept_solution",
    "case_assign",
    "case_cancel",
    "case_change_priority",
    "case_close",
    "case_close_after_silence",
    "case_close_for_no_response",
    "case_comment",
    "case_create",
    "case_create_known_issue",
    "case_de_escalate",
    "case_escalate",
    "case_link_known_issue",
    "case_log_phone_attempt",
    "case_merge",
    "case_propose_solution",
    "case_reject_solution",
    "case_reopen",
    "case_request_info",
    "case_transfer_enhancement",
    "case_unlink_known_issue",
    "known_issue_resolve",
    "may",
    "require_permission",
]
