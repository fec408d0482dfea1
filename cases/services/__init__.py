"""Every change to a case, one function per verb; see `lifecycle` for the common shape.

Views, admin actions, the API, inbound mail and tasks import from here.
"""

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
    cases_close_after_silence,
    cases_close_for_no_response,
)

__all__ = [
    "case_accept_solution",
    "case_assign",
    "case_cancel",
    "case_change_priority",
    "case_close",
    "case_close_after_silence",
    "case_close_for_no_response",
    "case_comment",
    "case_create",
    "case_log_phone_attempt",
    "case_propose_solution",
    "case_reject_solution",
    "case_reopen",
    "case_request_info",
    "cases_close_after_silence",
    "cases_close_for_no_response",
]
