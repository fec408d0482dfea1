"""Every change to a case, one function per verb; see `lifecycle` for the common shape.

Views, admin actions, the API, inbound mail and tasks import from here.
"""

from cases.services.escalations import (
    case_escalate,
    customer_escalation_acknowledge,
    customer_escalation_de_escalate,
    escalations_rise_due,
    live_escalation,
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
    cases_close_after_silence,
    cases_close_for_no_response,
)
from cases.services.sessions import open_session, session_book, session_propose
from cases.services.surveys import case_answer_survey, survey_invitation
from cases.services.watchers import case_watcher_add, case_watcher_remove
from cases.survey_links import survey_link, survey_token

__all__ = [
    "case_accept_solution",
    "case_answer_survey",
    "case_assign",
    "case_cancel",
    "case_change_priority",
    "case_close",
    "case_close_after_silence",
    "case_close_for_no_response",
    "case_comment",
    "case_create",
    "case_escalate",
    "case_log_phone_attempt",
    "case_propose_solution",
    "case_reject_solution",
    "case_reopen",
    "case_request_info",
    "case_watcher_add",
    "case_watcher_remove",
    "cases_close_after_silence",
    "cases_close_for_no_response",
    "customer_escalation_acknowledge",
    "customer_escalation_de_escalate",
    "escalations_rise_due",
    "live_escalation",
    "open_session",
    "session_book",
    "session_propose",
    "survey_invitation",
    "survey_link",
    "survey_token",
]
