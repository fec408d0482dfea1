"""Forms that collect what a case service needs. They parse and nothing more: every rule
(which reasons, which owners, which states) is the service's, and its refusals come back
as messages and field errors."""

from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.text import capfirst

from cases import services
from cases.attachments import upload_rules
from cases.models import STAFF_CLOSE_REASONS, Case, CloseReason, SupportGroup
from knowledge.models import KnownIssue
from knowledge.trackers import TrackerKind
from tenants.intake_forms import intake_form_field, intake_form_name
from tenants.models import IntakeField, PlanPriority
from tenants.roles import support_staff


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data: object, initial: object = None) -> list:
        files = data if isinstance(data, list | tuple) else [data] if data else []
        clean_one = super().clean
        return [clean_one(item, initial) for item in files]


def _text(label: str, rows: int = 4, required: bool = True, help_text: str = "") -> forms.Field:
    return forms.CharField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows, "cols": 60}),
    )


def staff_choice(required: bool = True) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=support_staff(),
        required=required,
        label="Owner",
        empty_label="— nobody (unassign) —" if not required else "— choose —",
    )


def open_known_issue_choice() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=KnownIssue.objects.exclude(stage=KnownIssue.Stage.RESOLVED).order_by("-id"),
        label="Known issue",
    )


class CaseForm(forms.Form):
    """A form about one case; fields may start from what the case already says."""

    def __init__(self, *args: Any, case: Case | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.case = case
        if case is not None:
            for field, value in self.initial_from(case).items():
                self.fields[field].initial = value

    def initial_from(self, case: Case) -> dict[str, object]:
        return {}


class VersionedForm(CaseForm):
    """Carries the case version the page showed, so a change based on a stale page is
    refused with a clear conflict instead of overwriting someone else's work."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, case: Case | None = None, **kwargs: Any) -> None:
        super().__init__(*args, case=case, **kwargs)
        if case is not None:
            self.fields["expected_version"].initial = case.version


class TakeForm(VersionedForm):
    pass


class AssignForm(VersionedForm):
    owner = staff_choice(required=False)


class PriorityForm(VersionedForm):
    priority = forms.ChoiceField(label="New priority")
    reason = _text("Reason for the change", rows=2)

    def __init__(self, *args: Any, case: Case | None = None, **kwargs: Any) -> None:
        super().__init__(*args, case=case, **kwargs)
        priorities = PlanPriority.objects.order_by("rank")
        if case is not None:
            priorities = priorities.filter(plan_id=case.tenant.plan_id)
        choices = {p.code: f"{p.code} {p.name}" for p in priorities}
        if case is None:
            choices = {code: code for code in choices}
        cast(forms.ChoiceField, self.fields["priority"]).choices = list(choices.items())


class RequestInfoForm(VersionedForm):
    body = _text(
        "What do you need from the customer?",
        help_text="Sent to the customer; the case waits on them (contact attempt 1).",
    )


class PhoneAttemptForm(VersionedForm):
    note = _text("What happened on the call?", rows=3)


class PhoneCallForm(VersionedForm):
    reached = forms.TypedChoiceField(
        label="Did you reach the customer?",
        choices=[("yes", "Yes: the note is the call's summary for the customer"), ("no", "No")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        initial="yes",
    )
    note = _text(
        "Note",
        rows=3,
        help_text="Reached: shown to the customer, and the call counts as a response "
        "(the initial response, and it restarts the update interval). Not reached: internal.",
    )


class UpdateCadenceForm(VersionedForm):
    interval = forms.CharField(
        label="Agreed update interval",
        required=False,
        max_length=16,
        help_text='e.g. "2h" (clock time), "4bh" (business hours), "1bd"; blank: the '
        "customer's agreed cadence or the plan's. The customer sees it on the case page.",
    )

    def initial_from(self, case: Case) -> dict[str, object]:
        return {"interval": case.agreed_update_interval}


class ProposeSolutionForm(VersionedForm):
    body = _text("The solution", rows=6, help_text="Sent to the customer to accept or reject.")


class CloseForm(VersionedForm):
    reason = forms.ChoiceField(
        label="Closure reason",
        choices=[(reason.value, reason.label) for reason in map(CloseReason, STAFF_CLOSE_REASONS)],
    )
    note = _text("Closing note for the customer", rows=3)

    def __init__(self, *args: Any, case: Case | None = None, **kwargs: Any) -> None:
        super().__init__(*args, case=case, **kwargs)
        # The plan's closure questions for the case's category (e.g. the root cause).
        self.closure_fields = (
            services.intake_fields_for(case.tenant.plan, case.category, IntakeField.Stage.CLOSURE)
            if case is not None
            else []
        )
        for field in self.closure_fields:
            self.fields[intake_form_name(field)] = intake_form_field(field)


class TransferForm(VersionedForm):
    """Refer the case to another group (the page's action and the queue's bulk action)."""

    group = forms.ModelChoiceField(
        queryset=SupportGroup.objects.filter(is_active=True), label="Transfer to group"
    )
    note = _text(
        "Why does it go to that group?",
        rows=3,
        help_text="An internal note on the case; the customer does not see it.",
    )

    def __init__(self, *args: Any, case: Case | None = None, **kwargs: Any) -> None:
        super().__init__(*args, case=case, **kwargs)
        if case is not None and case.group_id is not None:
            field = cast(forms.ModelChoiceField, self.fields["group"])
            field.queryset = SupportGroup.objects.filter(is_active=True).exclude(id=case.group_id)


class LinkKnownIssueForm(VersionedForm):
    known_issue = open_known_issue_choice()


class TrackerLinkForm(VersionedForm):
    """The issue in a development tracker this case is about; the service reads the kind
    and key from the URL unless given, and an empty URL removes the link."""

    tracker_url = forms.URLField(
        label="Tracker issue URL",
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text="The issue in Jira, GitHub, GitLab or Azure DevOps. Empty: remove the link.",
    )
    tracker_kind = forms.ChoiceField(
        label="Tracker",
        required=False,
        choices=[("", "From the URL"), *TrackerKind.choices],
    )
    tracker_key = forms.CharField(
        label="Issue key",
        required=False,
        max_length=100,
        help_text="e.g. OPS-12 or acme/app#42; read from the URL when empty.",
    )

    def initial_from(self, case: Case) -> dict[str, object]:
        return {
            "tracker_url": case.tracker_url,
            "tracker_kind": case.tracker_kind,
            "tracker_key": case.tracker_key,
        }


class UnlinkKnownIssueForm(VersionedForm):
    reason = _text("Why is this not the known issue?", rows=2)


class CreateKnownIssueForm(VersionedForm):
    title = forms.CharField(
        max_length=200,
        help_text="Every customer sees it: name the defect in product terms, not the case's.",
    )
    public_summary = _text(
        "Public summary", help_text="What customers see: the symptoms and any workaround."
    )
    internal_notes = _text("Internal notes", rows=3, required=False)
    product = forms.CharField(max_length=100, required=False)
    stage = forms.ChoiceField(
        choices=[c for c in KnownIssue.Stage.choices if c[0] != KnownIssue.Stage.RESOLVED]
    )
    target_date = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Target date"
    )
    # No field starts from the case: known issues are public to every customer, and the
    # case's summary and product are one customer's own words.


class EscalateForm(VersionedForm):
    reason = _text("Why does management need to look at this?", rows=3)
    priority = forms.ChoiceField(
        label="Raise the priority to (optional)", required=False, choices=[("", "Keep it")]
    )

    def __init__(self, *args: Any, case: Case | None = None, **kwargs: Any) -> None:
        super().__init__(*args, case=case, **kwargs)
        priorities = PlanPriority.objects.order_by("rank")
        if case is not None:
            priorities = priorities.filter(plan_id=case.tenant.plan_id, rank__lt=case.priority_rank)
        choices = [("", "Keep it"), *((p.code, f"{p.code} {p.name}") for p in priorities)]
        cast(forms.ChoiceField, self.fields["priority"]).choices = choices


class DeEscalateForm(VersionedForm):
    note = _text("How was the escalation handled?", rows=3)


class MergeIntoForm(VersionedForm):
    into = forms.CharField(
        label="Merge this case into", max_length=24, help_text="The reference, e.g. ACME-00042."
    )
    note = _text("Note for the customer", rows=2)


class TransferEnhancementForm(VersionedForm):
    title = forms.CharField(max_length=200, label="Title for product management")
    description = _text("The request in product terms", rows=5)
    note = _text(
        "Closing note for the customer",
        rows=2,
        required=False,
        help_text="Leave empty for the standard note naming the product-feedback record.",
    )

    def initial_from(self, case: Case) -> dict[str, object]:
        return {"title": case.summary, "description": case.description}


class ReplyForm(VersionedForm):
    """A reply carries the version its page showed too; the service refuses it only for a
    newer public message or state change (cases/services/collision.py)."""

    VISIBILITY = [("public", "Reply to the customer"), ("internal", "Internal note")]

    visibility = forms.ChoiceField(
        choices=VISIBILITY, initial="public", widget=forms.RadioSelect, label=""
    )
    body = _text("Message", rows=6)
    attachments = MultipleFileField(required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attachments"].help_text = capfirst(upload_rules().summary) + "."


# Bulk actions on the queue: the same services, once per selected case.


class BulkAssignForm(forms.Form):
    owner = staff_choice(required=True)


class BulkMergeForm(forms.Form):
    into = forms.ModelChoiceField(
        queryset=Case.objects.none(),
        widget=forms.RadioSelect,
        label="Keep this case; close the others as its duplicates",
    )
    note = _text("Note for the customers", rows=2)

    def __init__(self, *args: Any, cases: QuerySet[Case] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["into"]).queryset = cases
