"""The staff case page: intake, the whole timeline, reply or note, and one button per
action the case's state and the engineer's role allow.

Which lifecycle buttons show comes from django-fsm (`get_available_user_state_transitions`);
the other actions show by the role table in `cases.services.permissions`. Either way the
service decides: a button is an offer, the service's refusal is the answer.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    QueryDict,
)
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from audit.services import audit_staff_read
from cases import services
from cases.admin import forms as case_forms
from cases.admin.macros import macro_choices
from cases.attachments import attachment_response
from cases.models import Case, State
from cases.presence import POLL_SECONDS, presence_list, presence_touch
from cases.selectors import (
    attachments_for,
    cases_for,
    custom_answers,
    due_status,
    events_for,
    normal_reference,
    queue_for,
)
from cases.services import NewActivity, StaffAction, may
from cases.services.clocks import METRICS
from cases.templatetags.staff_time import staff_time_text
from knowledge.search import search_articles, search_known_issues
from supportdesk.errors import NotFound, ServiceError
from supportdesk.types import User, signed_in
from tenants.access import may_escalate_immediately
from tenants.intake_forms import intake_answers
from tenants.models import IntakeField
from tenants.phones import contact_phone, tel_url

Offered = Callable[[Case, User, frozenset[str]], bool]
Perform = Callable[[HttpRequest, Case, dict], str]


@dataclass(frozen=True)
class PageAction:
    name: str
    label: str
    form_class: type[case_forms.CaseForm]
    offered: Offered
    perform: Perform
    tone: str = ""
    multipart: bool = False

    def form(self, case: Case, data: object = None, files: object = None) -> forms.Form:
        return self.form_class(data, files, case=case, prefix=self.name)

    @property
    def asks(self) -> bool:
        """Whether the action asks for anything; a plain button otherwise."""
        return any(not f.widget.is_hidden for f in self.form_class.base_fields.values())


def _name(user: User | None) -> str:
    if user is None:
        return "nobody"
    return user.get_full_name() or user.get_username()


def _version(data: dict) -> int | None:
    return data.get("expected_version")


def _open(case: Case, user: User, available: frozenset[str]) -> bool:
    return case.is_open and may(user, StaffAction.WORK_CASES)


def _transition(name: str) -> Offered:
    """Offered exactly when django-fsm says the transition is open to this user now."""
    return lambda case, user, available: name in available


def _take(request: HttpRequest, case: Case, data: dict) -> str:
    services.case_assign(
        case_id=case.id,
        actor=signed_in(request),
        owner=signed_in(request),
        expected_version=_version(data),
    )
    return f"{case.reference} is yours."


def _assign(request: HttpRequest, case: Case, data: dict) -> str:
    owner = data["owner"]
    services.case_assign(
        case_id=case.id, actor=signed_in(request), owner=owner, expected_version=_version(data)
    )
    return f"{case.reference} assigned to {_name(owner)}."


def _reply(request: HttpRequest, case: Case, data: dict) -> str:
    public = data["visibility"] == "public"
    services.case_comment(
        case_id=case.id,
        actor=signed_in(request),
        body=data["body"],
        public=public,
        attachments=data["attachments"],
        seen_version=_version(data),
    )
    return "Reply sent to the customer." if public else "Internal note added."


def _request_info(request: HttpRequest, case: Case, data: dict) -> str:
    services.case_request_info(
        case_id=case.id,
        actor=signed_in(request),
        body=data["body"],
        expected_version=_version(data),
    )
    return f"Information requested; {case.reference} now waits on the customer."


def _phone(request: HttpRequest, case: Case, data: dict) -> str:
    attempt = services.case_log_phone_attempt(
        case_id=case.id, actor=signed_in(request), note=data["note"], seen_version=_version(data)
    )
    return f"Phone call logged as contact attempt {attempt.number}."


def _phone_call(request: HttpRequest, case: Case, data: dict) -> str:
    services.case_log_phone_call(
        case_id=case.id,
        actor=signed_in(request),
        note=data["note"],
        reached=data["reached"],
        expected_version=_version(data),
    )
    if data["reached"]:
        return "Call logged; it counts as a response to the customer."
    return "Call logged as an internal note."


def _update_cadence(request: HttpRequest, case: Case, data: dict) -> str:
    services.case_set_update_cadence(
        case_id=case.id,
        actor=signed_in(request),
        interval=data["interval"],
        expected_version=_version(data),
    )
    return "Update cadence saved; the next update is due as the page now shows."


def _propose(request: HttpRequest, case: Case, data: dict) -> str:
    services.case_propose_solution(
        case_id=case.id,
        actor=signed_in(request),
        body=data["body"],
        expected_version=_version(data),
    )
    return "Solution proposed to the customer."


def _close(request: HttpRequest, case: Case, data: dict) -> str:
    closed = services.case_close(
        case_id=case.id,
        actor=signed_in(request),
        reason=data["reason"],
        note=data["note"],
        expected_version=_version(data),
        custom_fields=intake_answers(
            services.intake_fields_for(case.tenant.plan, case.category, IntakeField.Stage.CLOSURE),
            data,
        ),
    )
    return f"{case.reference} closed: {closed.get_close_reason_display()}."


def _priority(request: HttpRequest, case: Case, data: dict) -> str:
    services.case_change_priority(
        case_id=case.id,
        actor=signed_in(request),
        priority=data["priority"],
        reason=data["reason"],
        expected_version=_version(data),
    )
    return f"{case.reference} is now {data['priority']}."


def _link(request: HttpRequest, case: Case, data: dict) -> str:
    services.case_link_known_issue(
        case_id=case.id,
        actor=signed_in(request),
        known_issue_id=data["known_issue"].id,
        expected_version=_version(data),
    )
    return f"{case.reference} linked to {data['known_issue']}."


def _unlink(request: HttpRequest, case: Case, data: dict) -> str:
    services.case_unlink_known_issue(
        case_id=case.id,
        actor=signed_in(request),
        reason=data["reason"],
        expected_version=_version(data),
    )
    return f"{case.reference} is no longer linked to a known issue."


def _link_tracker(request: HttpRequest, case: Case, data: dict) -> str:
    linked = services.case_link_tracker(
        case_id=case.id,
        actor=signed_in(request),
        url=data["tracker_url"],
        key=data["tracker_key"],
        kind=data["tracker_kind"],
        expected_version=_version(data),
    )
    if not linked.tracker_key:
        return f"{case.reference} is no longer linked to a tracker issue."
    return f"{case.reference} linked to {linked.get_tracker_kind_display()} {linked.tracker_key}."


def _create_known_issue(request: HttpRequest, case: Case, data: dict) -> str:
    issue = services.case_create_known_issue(
        case_id=case.id,
        actor=signed_in(request),
        title=data["title"],
        public_summary=data["public_summary"],
        internal_notes=data["internal_notes"],
        product=data["product"],
        stage=data["stage"],
        target_date=data["target_date"],
        expected_version=_version(data),
    )
    return f"{issue} recorded and {case.reference} linked to it."


def _escalate(request: HttpRequest, case: Case, data: dict) -> str:
    services.case_escalate(
        case_id=case.id,
        actor=signed_in(request),
        reason=data["reason"],
        priority=data.get("priority") or "",
        expected_version=_version(data),
    )
    raised = f" and raised to {data['priority']}" if data.get("priority") else ""
    return f"{case.reference} escalated to management{raised}."


def _de_escalate(request: HttpRequest, case: Case, data: dict) -> str:
    services.case_de_escalate(
        case_id=case.id,
        actor=signed_in(request),
        note=data["note"],
        expected_version=_version(data),
    )
    return f"Escalation of {case.reference} marked handled."


def _merge(request: HttpRequest, case: Case, data: dict) -> str:
    reference = normal_reference(data["into"]) or data["into"].strip()
    into = queue_for(request.user).filter(reference=reference).values_list("id", flat=True)
    if not into:
        raise NotFound(f"There is no case {reference}.")
    primary = services.case_merge(
        actor=signed_in(request), into_id=into[0], duplicate_ids=[case.id], note=data["note"]
    )
    return f"{case.reference} merged into {primary.reference}."


def _transfer(request: HttpRequest, case: Case, data: dict) -> str:
    feedback = services.case_transfer_enhancement(
        case_id=case.id,
        actor=signed_in(request),
        title=data["title"],
        description=data["description"],
        note=data["note"],
        expected_version=_version(data),
    )
    return f"{case.reference} transferred to product management as PF-{feedback.id} and closed."


def _transfer_to_group(request: HttpRequest, case: Case, data: dict) -> str:
    services.case_transfer(
        case_id=case.id,
        actor=signed_in(request),
        group_id=data["group"].id,
        note=data["note"],
        expected_version=_version(data),
    )
    return f"{case.reference} transferred to {data['group'].name}."


REPLY = PageAction(
    "reply",
    "Reply or add a note",
    case_forms.ReplyForm,
    lambda case, user, available: may(user, StaffAction.WORK_CASES),
    _reply,
    multipart=True,
)

PAGE_ACTIONS = [
    PageAction(
        "take",
        "Assign to me",
        case_forms.TakeForm,
        lambda case, user, available: (
            "start_work" in available or (_open(case, user, available) and case.owner != user)
        ),
        _take,
        tone="primary",
    ),
    PageAction(
        "assign",
        "Assign to …",
        case_forms.AssignForm,
        lambda case, user, available: case.is_open and may(user, StaffAction.ASSIGN_OTHERS),
        _assign,
    ),
    PageAction(
        "request_info",
        "Request information",
        case_forms.RequestInfoForm,
        _transition("request_info"),
        _request_info,
    ),
    PageAction(
        "log_phone_attempt",
        "Log a phone contact attempt",
        case_forms.PhoneAttemptForm,
        lambda case, user, available: (
            case.state == State.AWAITING_INFORMATION and may(user, StaffAction.WORK_CASES)
        ),
        _phone,
    ),
    PageAction(
        "log_phone_call",
        "Log a phone call",
        case_forms.PhoneCallForm,
        lambda case, user, available: (
            _open(case, user, available) and case.state != State.AWAITING_INFORMATION
        ),
        _phone_call,
    ),
    PageAction(
        "update_cadence",
        "Agree an update cadence",
        case_forms.UpdateCadenceForm,
        _open,
        _update_cadence,
    ),
    PageAction(
        "propose_solution",
        "Propose a solution",
        case_forms.ProposeSolutionForm,
        _transition("propose_solution"),
        _propose,
        tone="primary",
    ),
    PageAction(
        "transfer_to_group",
        "Transfer to another group",
        case_forms.TransferForm,
        _open,
        _transfer_to_group,
    ),
    PageAction("change_priority", "Change priority", case_forms.PriorityForm, _open, _priority),
    PageAction(
        "link_known_issue",
        "Link to a known issue",
        case_forms.LinkKnownIssueForm,
        _open,
        _link,
    ),
    PageAction(
        "link_tracker",
        "Link a development tracker issue",
        case_forms.TrackerLinkForm,
        _open,
        _link_tracker,
    ),
    PageAction(
        "create_known_issue",
        "Record a new known issue from this case",
        case_forms.CreateKnownIssueForm,
        lambda case, user, available: _open(case, user, available) and case.known_issue is None,
        _create_known_issue,
    ),
    PageAction(
        "unlink_known_issue",
        "Unlink the known issue",
        case_forms.UnlinkKnownIssueForm,
        lambda case, user, available: _open(case, user, available) and case.known_issue is not None,
        _unlink,
    ),
    PageAction(
        "escalate",
        "Escalate to management",
        case_forms.EscalateForm,
        lambda case, user, available: (
            not case.is_escalated
            and (
                _open(case, user, available)
                or (case.is_open and may_escalate_immediately(user, case.tenant_id))
            )
        ),
        _escalate,
        tone="danger",
    ),
    PageAction(
        "de_escalate",
        "Mark the escalation handled",
        case_forms.DeEscalateForm,
        lambda case, user, available: (
            case.is_escalated and may(user, StaffAction.HANDLE_ESCALATION)
        ),
        _de_escalate,
    ),
    PageAction(
        "transfer_enhancement",
        "Transfer to product management",
        case_forms.TransferEnhancementForm,
        _transition("close"),
        _transfer,
    ),
    PageAction(
        "merge",
        "Merge into another case",
        case_forms.MergeIntoForm,
        lambda case, user, available: "close" in available and may(user, StaffAction.MERGE),
        _merge,
    ),
    PageAction(
        "close", "Close with a reason", case_forms.CloseForm, _transition("close"), _close, "danger"
    ),
]
ACTIONS_BY_NAME = {action.name: action for action in [REPLY, *PAGE_ACTIONS]}


def _case_or_404(request: HttpRequest, object_id: str) -> Case:
    if not str(object_id).isdigit():
        raise Http404("No such case.")
    return get_object_or_404(
        queue_for(request.user).select_related(
            "reporter", "partner", "escalated_by", "merged_into", "group"
        ),
        pk=int(object_id),
    )


def _intake(case: Case) -> list[tuple[str, object]]:
    rows = [
        ("Summary", case.summary),
        ("Category", case.category_name),
        ("Priority", case.priority),
        ("Business impact", case.get_business_impact_display()),
        ("Impact details", case.business_impact_details),
        ("Users affected", case.users_affected),
        ("Environment", case.get_environment_display()),
        ("Product", " ".join(filter(None, [case.product, case.product_version]))),
        ("Browsers", case.browsers),
        ("First seen", case.first_seen_at),
        ("Related cases", case.related_cases),
        ("Environment access", case.get_environment_access_display()),
        ("Channel", case.get_channel_display()),
        ("Group", case.group.name if case.group is not None else ""),
        ("Description", case.description),
        ("Steps to reproduce", case.steps_to_reproduce),
        ("Expected result", case.expected_result),
        ("Actual result", case.actual_result),
        *custom_answers(case),
    ]
    return [(label, value) for label, value in rows if value not in ("", None)]


def case_page(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    object_id: str,
    *,
    bound: tuple[PageAction, forms.Form] | None = None,
    conflict: NewActivity | None = None,
    status: int = 200,
) -> HttpResponse:
    case = _case_or_404(request, object_id)
    user = signed_in(request)
    presence_touch(case, user)
    if bound is None:  # a refused action shows the page again: that is not another read
        audit_staff_read(actor=user, obj=case, verb="case page opened", request=request)
    # django-fsm adds get_available_<field>_transitions to the model at class creation.
    transitions = case.get_available_user_state_transitions(user)  # type: ignore[attr-defined]
    available = frozenset(t.name for t in transitions)
    # A form that asks for something is fetched when its button is opened (cases/staff.js),
    # so the page renders only the forms it shows: a refused one, kept open, and buttons.
    offered = []
    form: forms.Form | None
    for action in PAGE_ACTIONS:
        if action.offered(case, user, available):
            if bound and bound[0] is action:
                form = bound[1]
            else:
                form = None if action.asks else action.form(case)
            offered.append((action, form))
    reply_form = bound[1] if bound and bound[0] is REPLY else REPLY.form(case)
    timeline = (
        events_for(user, case)
        .select_related("comment__author")
        .prefetch_related("comment__attachments")
    )
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": Case._meta,
        "title": f"{case.reference}: {case.summary}",
        "case": case,
        "due": due_status(case, timezone.now()),
        "intake": _intake(case),
        "intake_attachments": case.attachments.filter(comment__isnull=True),
        "timeline": timeline,
        "contact_attempts": case.contact_attempts.select_related("made_by"),
        "merged_cases": case.merged_cases.only("id", "reference", "summary"),
        "offered": offered,
        "open_action": bound[0].name if bound else "",
        "reply_form": reply_form if REPLY.offered(case, user, available) else None,
        "macros": macro_choices(request) if REPLY.offered(case, user, available) else None,
        "known_issue_suggestions": []
        if case.known_issue_id or not case.is_open
        else list(search_known_issues(case.summary, include_resolved=False)[:5]),
        "article_suggestions": list(search_articles(case.summary)[:5]),
        "pending_alerts": pending_alerts(case),
        "conflict": conflict,
        **_presence_context(request, case, case.version),
        "reporter_phone": _reporter_phone(case),
    }
    return TemplateResponse(request, "admin/cases/case/case_page.html", context, status=status)


def _presence_context(request: HttpRequest, case: Case, version: int) -> dict[str, object]:
    user = signed_in(request)
    return {
        "others": presence_list(case, user),
        "page_version": version,
        "new_activity": (
            services.new_activity_count(case, version, besides=user)
            if version < case.version
            else 0
        ),
        "poll_seconds": POLL_SECONDS,
        "may_reply": may(user, StaffAction.WORK_CASES),
    }


def case_presence(
    model_admin: admin.ModelAdmin, request: HttpRequest, object_id: str
) -> HttpResponse:
    """Who else is on the case page, polled by it (GET) and told of typing (POST): the
    page's own access check first, so only staff who may see the case ever reach the cache,
    and the case of another tenant the user may not see is a 404 like the page."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    if request.method not in ("GET", "POST"):
        return HttpResponse(status=405)
    if not str(object_id).isdigit():
        raise Http404("No such case.")
    case = get_object_or_404(
        cases_for(request.user).only("id", "reference", "version", "state"), pk=int(object_id)
    )
    user = signed_in(request)
    typing = request.method == "POST" and request.POST.get("typing") == "1"
    # Security sees cases but replies to none: its page is never "typing".
    presence_touch(
        case, user, typing=True if typing and may(user, StaffAction.WORK_CASES) else None
    )
    version = request.GET.get("version", "")
    context = {
        "case": case,
        **_presence_context(request, case, int(version) if version.isdigit() else case.version),
    }
    return TemplateResponse(request, "admin/cases/case/_presence.html", context)


def _reporter_phone(case: Case) -> dict[str, str] | None:
    """The reporting contact's number and its tel: link, for calling them back."""
    number = contact_phone(tenant_id=case.tenant_id, user_id=case.reporter_id)
    return {"number": number, "url": tel_url(number)} if number else None


ALERT_WORDS = {
    "update_reminder": "Update reminder to the owner",
    "sla_at_risk": "At-risk warning to owner and triage lead",
    "sla_breached": "Breach check, escalation to the managers",
}


def pending_alerts(case: Case) -> list[str]:
    """The SLA alerts the beat will send for this case, in words, earliest first."""
    return [
        "{} for the {} due {}, at {}".format(
            ALERT_WORDS.get(alert["kind"], alert["kind"]),
            METRICS.get(alert["metric"], alert["metric"]).lower(),
            # Both in the staff user's zone, labelled: the stored due_text is in the
            # calendar's zone, and one line in two zones misleads.
            staff_time_text(datetime.fromisoformat(alert["due"])),
            staff_time_text(datetime.fromisoformat(alert["at"])),
        )
        for alert in case.sla_alerts
    ]


def case_act(
    model_admin: admin.ModelAdmin, request: HttpRequest, object_id: str, name: str
) -> HttpResponse:
    """Run one page action: the form parses, the service decides. A refusal re-renders the
    case page with the form open, the typed text kept and the service's message shown."""
    action = ACTIONS_BY_NAME.get(name)
    if action is None:
        raise Http404("No such action.")
    case = _case_or_404(request, object_id)
    page = reverse("admin:cases_case_change", args=[case.id])
    if request.method != "POST":
        return _action_form(model_admin, request, case, action, action.form(case))
    data: QueryDict = request.POST
    anyway = request.POST.get("send_anyway", "")
    if anyway.isdigit():
        # "Send anyway" after a refusal for new activity: the same write, now based on the
        # version the refusal showed (it refuses again if yet more happened since).
        resent = request.POST.copy()
        resent[f"{action.name}-expected_version"] = anyway
        data = resent
    form = action.form(case, data, request.FILES)
    status = 400
    conflict: NewActivity | None = None
    if form.is_valid():
        try:
            message = action.perform(request, case, form.cleaned_data)
        except ServiceError as error:
            for field, errors in error.field_errors.items():
                if field in form.fields:
                    form.add_error(field, errors)
            messages.error(request, error.message)
            status = error.status_code
            if isinstance(error, NewActivity):
                conflict = error
        else:
            if action is REPLY:
                presence_touch(case, signed_in(request), typing=False)
            messages.success(request, message)
            target = request.POST.get("next", "")
            safe = url_has_allowed_host_and_scheme(
                target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            )
            return HttpResponseRedirect(target if target and safe else page)
    else:
        messages.error(request, "Please correct the form below.")
    return case_page(
        model_admin, request, object_id, bound=(action, form), conflict=conflict, status=status
    )


def _action_form(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    case: Case,
    action: PageAction,
    form: forms.Form,
) -> TemplateResponse:
    """The form of one action: the fragment the case page fetches when a button opens, or a
    page of its own when asked for without script."""
    context = {"case": case, "action": action, "form": form}
    if request.headers.get("X-Requested-With") == "fetch":
        return TemplateResponse(request, "admin/cases/case/action_form.html", context)
    context |= {
        **model_admin.admin_site.each_context(request),
        "opts": Case._meta,
        "title": f"{case.reference}: {action.label}",
    }
    return TemplateResponse(request, "admin/cases/case/action_page.html", context)


def case_attachment(
    model_admin: admin.ModelAdmin, request: HttpRequest, object_id: str, attachment_id: str
) -> FileResponse:
    if not (str(object_id).isdigit() and str(attachment_id).isdigit()):
        raise Http404("No such file.")
    attachment = get_object_or_404(
        attachments_for(request.user).select_related("case"),
        case_id=int(object_id),
        id=int(attachment_id),
    )
    audit_staff_read(
        actor=signed_in(request), obj=attachment, verb="attachment downloaded", request=request
    )
    return attachment_response(attachment)
