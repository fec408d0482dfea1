"""Filing a case and everything a customer does on a case's page."""

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases import services
from cases.attachments import as_uploads, upload_rules
from cases.models import Case, State
from cases.selectors import (
    attachments_for,
    case_by_reference,
    closure_survey,
    custom_answers,
    thread_for,
    watchers_for,
)
from knowledge.search import suggestions as knowledge_suggestions
from portal.context import PortalRequest, portal_page
from portal.errors import apply_service_error, form_invalid, found_or_404
from portal.forms import (
    AcceptForm,
    CancelForm,
    CaseForm,
    ReasonForm,
    RejectForm,
    ReopenForm,
    ReplyForm,
    WatcherForm,
)
from portal.presenters import due_times, timeline
from portal.views.case_extras import customer_panels
from supportdesk.errors import ServiceError
from tenants.environments import environments_of
from tenants.models import IntakeField
from tenants.phones import phone_text, support_phone_for


def _case_url(case: Case, anchor: str = "") -> str:
    url = reverse("portal:case", kwargs={"reference": case.reference})
    return f"{url}#{anchor}" if anchor else url


@require_http_methods(["GET", "POST"])
@portal_page
def case_new(request: PortalRequest) -> HttpResponse:
    portal = request.portal
    plan = portal.tenant.plan
    phone = support_phone_for(request.user, portal.tenant)
    initial = {"related_cases": request.GET.get("related", "")[:200]}
    form = CaseForm(
        request.POST or None,
        plan=plan,
        environments=environments_of(request.user, portal.tenant.id),
        initial=initial,
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                case = services.case_create(
                    actor=request.user,
                    tenant_id=portal.tenant.id,
                    attachments=as_uploads(request.FILES.getlist("attachments")),
                    **form.service_arguments(),
                )
            except ServiceError as error:
                status = apply_service_error(request, error, form)
            else:
                messages.success(request, f"{case.reference} is filed. We'll keep you posted here.")
                priority = next(p for p in form.priorities if p.code == case.priority)
                if priority.wants_a_call and phone is not None:
                    messages.warning(
                        request,
                        f"For a {priority.code} case your plan asks you to call us as well: "
                        f"{phone_text(phone)}. Quote {case.reference}.",
                    )
                return redirect(_case_url(case))
        else:
            status = form_invalid(request)
        if request.FILES:
            messages.info(request, "For your security, please choose the files to attach again.")
    context = {
        "form": form,
        "plan": plan,
        "phone": phone,
        "sla_categories": [row.category.name for row in form.categories if row.sla_applies],
        "upload_rules": upload_rules(),
    }
    return render(request, "portal/case_new.html", context, status=status)


@require_GET
@portal_page
def suggestions(request: PortalRequest) -> HttpResponse:
    text = request.GET.get("summary", "")
    return render(
        request,
        "portal/_suggestions.html",
        {"suggestions": knowledge_suggestions(text), "searched": bool(text.strip())},
    )


def _priority(case: Case) -> object:
    """The plan's name and rank of the case's priority: read along with the case when
    `case_detail` asked for them, else read now."""
    if hasattr(case, "plan_priority_name"):
        name = case.plan_priority_name
        rank = case.plan_priority_rank  # type: ignore[attr-defined]
        return None if name is None else {"name": name, "rank": rank}
    return case.tenant.plan.priorities.filter(code=case.priority).first()


def _case_page(
    request: HttpRequest, case: Case, *, status: int = 200, **forms: object
) -> HttpResponse:
    user = request.user
    # The case's files in one read, shared out to the intake and to each comment.
    files = list(attachments_for(user).filter(case=case))
    entries = timeline(*thread_for(user, case), files)
    intake_files = [file for file in files if file.comment_id is None]
    survey = None
    if case.state == State.CLOSED:
        answer = closure_survey(case)
        link = None
        if answer is None:
            link = reverse(
                "portal:survey", kwargs={"token": services.survey_token(case, user_id=user.pk)}
            )
        survey = {"answer": answer, "link": link}
    deadline = case.reopen_deadline
    context = {
        "case": case,
        "priority": _priority(case),
        "entries": entries,
        "intake_files": intake_files,
        "case_texts": [
            (label, text)
            for label, text in (
                ("Description", case.description),
                ("Steps to reproduce", case.steps_to_reproduce),
                ("Expected result", case.expected_result),
                ("Actual result", case.actual_result),
                ("Business impact", case.business_impact_details),
            )
            if text
        ],
        "due_times": due_times(case),
        "custom_answers": custom_answers(case, stages=[IntakeField.Stage.INTAKE]),
        "survey": survey,
        "can_reopen": deadline is not None and deadline >= timezone.now(),
        "reopen_deadline": deadline,
        "watchers": watchers_for(user, case),
        "upload_rules": upload_rules(),
        "reply_form": forms.get("reply_form") or ReplyForm(),
        "accept_form": forms.get("accept_form") or AcceptForm(),
        "reject_form": forms.get("reject_form") or RejectForm(),
        "cancel_form": forms.get("cancel_form") or CancelForm(),
        "reopen_form": forms.get("reopen_form") or ReopenForm(),
        "watcher_form": forms.get("watcher_form") or WatcherForm(prefix="watcher"),
        **customer_panels(request, case, forms),
    }
    return render(request, "portal/case_detail.html", context, status=status)


@require_GET
@portal_page
def case_detail(request: PortalRequest, reference: str) -> HttpResponse:
    return _case_page(
        request, found_or_404(case_by_reference, request.user, reference, with_priority=True)
    )


def _case_action(
    request: HttpRequest,
    reference: str,
    form: ReplyForm | ReasonForm | AcceptForm,
    form_name: str,
    act: Callable[[Case, dict], tuple[str, str]],
) -> HttpResponse:
    """Run one case verb from a posted form: on success back to the case page with a
    message; on refusal the page again, the form keeping what was typed."""
    case = found_or_404(case_by_reference, request.user, reference)
    form.is_valid()
    try:
        success, anchor = act(case, form.cleaned_data)
    except ServiceError as error:
        status = apply_service_error(request, error, form)
        return _case_page(request, case, status=status, **{form_name: form})
    messages.success(request, success)
    return redirect(_case_url(case, anchor))


@require_POST
@portal_page
def case_reply(request: PortalRequest, reference: str) -> HttpResponse:
    def act(case: Case, data: dict) -> tuple[str, str]:
        was_waiting = case.state == State.AWAITING_INFORMATION
        comment = services.case_comment(
            case_id=case.id,
            actor=request.user,
            body=data.get("body", ""),
            attachments=as_uploads(request.FILES.getlist("attachments")),
        )
        if was_waiting:
            return "Reply sent. Thank you: our engineers are back on it.", f"c{comment.id}"
        return "Reply sent.", f"c{comment.id}"

    return _case_action(request, reference, ReplyForm(request.POST), "reply_form", act)


@require_POST
@portal_page
def case_accept(request: PortalRequest, reference: str) -> HttpResponse:
    def act(case: Case, data: dict) -> tuple[str, str]:
        services.case_accept_solution(
            case_id=case.id, actor=request.user, note=data.get("note", "")
        )
        return "Thank you. The case is closed as resolved.", "survey"

    return _case_action(request, reference, AcceptForm(request.POST), "accept_form", act)


@require_POST
@portal_page
def case_reject(request: PortalRequest, reference: str) -> HttpResponse:
    def act(case: Case, data: dict) -> tuple[str, str]:
        services.case_reject_solution(
            case_id=case.id, actor=request.user, reason=data.get("reason", "")
        )
        return "Thanks for telling us. The case is back with our engineers.", ""

    form = RejectForm(request.POST)
    return _case_action(request, reference, form, "reject_form", act)


@require_POST
@portal_page
def case_cancel(request: PortalRequest, reference: str) -> HttpResponse:
    def act(case: Case, data: dict) -> tuple[str, str]:
        services.case_cancel(case_id=case.id, actor=request.user, reason=data.get("reason", ""))
        return "The case is cancelled. You can reopen it if you need us again.", ""

    form = CancelForm(request.POST)
    return _case_action(request, reference, form, "cancel_form", act)


@require_POST
@portal_page
def case_reopen(request: PortalRequest, reference: str) -> HttpResponse:
    def act(case: Case, data: dict) -> tuple[str, str]:
        services.case_reopen(case_id=case.id, actor=request.user, reason=data.get("reason", ""))
        return "The case is reopened and back with our engineers.", ""

    form = ReopenForm(request.POST)
    return _case_action(request, reference, form, "reopen_form", act)


def _watchers_response(
    request: HttpRequest, case: Case, form: WatcherForm, status: int = 200
) -> HttpResponse:
    """The notification list panel for htmx, or the whole case page without it."""
    if request.headers.get("HX-Request") != "true":
        if status == 200:
            return redirect(_case_url(case, "notify"))
        return _case_page(request, case, status=status, watcher_form=form)
    context = {"case": case, "watchers": watchers_for(request.user, case), "watcher_form": form}
    return render(request, "portal/_watchers.html", {**context, "partial": True}, status=status)


@require_POST
@portal_page
def case_watcher_add(request: PortalRequest, reference: str) -> HttpResponse:
    form = WatcherForm(request.POST, prefix="watcher")
    case = found_or_404(case_by_reference, request.user, reference)
    form.is_valid()
    try:
        watcher = services.case_watcher_add(
            case_id=case.id,
            actor=request.user,
            email=form.cleaned_data.get("email", ""),
            name=form.cleaned_data.get("name", ""),
        )
    except ServiceError as error:
        status = apply_service_error(request, error, form)
        return _watchers_response(request, case, form, status)
    messages.success(request, f"{watcher.email} will be copied on updates to {case.reference}.")
    return _watchers_response(request, case, WatcherForm(prefix="watcher"))


@require_POST
@portal_page
def case_watcher_remove(request: PortalRequest, reference: str, watcher_id: int) -> HttpResponse:
    case = found_or_404(case_by_reference, request.user, reference)
    try:
        services.case_watcher_remove(case_id=case.id, actor=request.user, watcher_id=watcher_id)
    except ServiceError as error:
        status = apply_service_error(request, error)
        return _watchers_response(request, case, WatcherForm(prefix="watcher"), status)
    messages.success(request, "Removed from the notification list.")
    return _watchers_response(request, case, WatcherForm(prefix="watcher"))
