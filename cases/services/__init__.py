"""Every change to a case, one function per verb; see `lifecycle` for the common shape.

Views, admin actions, the API, inbound mail and tasks import from here.
"""

from cases.services.collision import (
    Activity,
    NewActivity,
    activity_since,
    new_activity_count,
)
from cases.services.contract_rules import (
    case_log_phone_call,
    case_set_update_cadence,
)
from cases.services.customer_escalations import (
    case_escalate_by_customer,
    customer_escalation_acknowledge,
    customer_escalation_de_escalate,
    escalations_rise_due,
    live_escalation,
)
from cases.services.enhancements import (
    case_transfer_enhancement,
)
from cases.services.inbound import (
    inbound_accept,
    inbound_process_again,
    inbound_receive,
    inbound_route,
)
from cases.services.intake import (
    intake_clean,
    intake_fields_for,
)
from cases.services.known_issues import (
    case_create_known_issue,
    case_link_known_issue,
    case_link_tracker,
    case_unlink_known_issue,
    known_issue_edit,
    known_issue_resolve,
    known_issue_tracker_status,
)
from cases.services.lifecycle import (
    case_accept_solution,
    case_assign,
    case_cancel,
    case_change_priority,
    case_close,
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
from cases.services.macros import (
    MacroFields,
    macro_apply,
    macro_archive,
    macro_create,
    macro_preview,
    macro_update,
)
from cases.services.merge import (
    case_merge,
)
from cases.services.permissions import (
    StaffAction,
    may,
    require_permission,
)
from cases.services.routing import (
    case_route,
    case_transfer,
    group_membership_set_available,
)
from cases.services.saved_views import (
    DEFAULT_COLUMNS,
    QUEUE_COLUMNS,
    saved_view_create,
    saved_view_delete,
    saved_view_for,
    saved_view_update,
    saved_views_for,
)
from cases.services.sessions import (
    open_session,
    session_book,
    session_propose,
)
from cases.services.staff_escalation import (
    case_de_escalate,
    case_escalate,
)
from cases.services.surveys import (
    case_answer_survey,
    survey_invitation,
)
from cases.services.watchers import (
    case_watcher_add,
    case_watcher_remove,
    case_watchers_remove_added_by,
)
from cases.survey_links import (
    survey_link,
    survey_token,
)

__all__ = [
    "DEFAULT_COLUMNS",
    "QUEUE_COLUMNS",
    "Activity",
    "MacroFields",
    "NewActivity",
    "StaffAction",
    "activity_since",
    "case_accept_solution",
    "case_answer_survey",
    "case_assign",
    "case_cancel",
    "case_change_priority",
    "case_close",
    "case_comment",
    "case_create",
    "case_create_known_issue",
    "case_de_escalate",
    "case_escalate",
    "case_escalate_by_customer",
    "case_link_known_issue",
    "case_link_tracker",
    "case_log_phone_attempt",
    "case_log_phone_call",
    "case_merge",
    "case_propose_solution",
    "case_reject_solution",
    "case_reopen",
    "case_request_info",
    "case_route",
    "case_set_update_cadence",
    "case_transfer",
    "case_transfer_enhancement",
    "case_unlink_known_issue",
    "case_watcher_add",
    "case_watcher_remove",
    "case_watchers_remove_added_by",
    "cases_close_after_silence",
    "cases_close_for_no_response",
    "customer_escalation_acknowledge",
    "customer_escalation_de_escalate",
    "escalations_rise_due",
    "group_membership_set_available",
    "inbound_accept",
    "inbound_process_again",
    "inbound_receive",
    "inbound_route",
    "intake_clean",
    "intake_fields_for",
    "known_issue_edit",
    "known_issue_resolve",
    "known_issue_tracker_status",
    "live_escalation",
    "macro_apply",
    "macro_archive",
    "macro_create",
    "macro_preview",
    "macro_update",
    "may",
    "new_activity_count",
    "open_session",
    "require_permission",
    "saved_view_create",
    "saved_view_delete",
    "saved_view_for",
    "saved_view_update",
    "saved_views_for",
    "session_book",
    "session_propose",
    "survey_invitation",
    "survey_link",
    "survey_token",
]
