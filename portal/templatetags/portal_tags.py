"""Template helpers of the portal: accessible form widgets, error summaries and case wording."""

from dataclasses import dataclass

from django import template
from django.contrib.messages import constants as message_levels
from django.forms import BaseForm, BoundField, CheckboxSelectMultiple, RadioSelect
from django.utils.safestring import SafeString

from cases.models import Case, CaseEvent, Channel
from portal.presenters import DueTime, next_due
from sla.targets import Target
from supportdesk.types import AnyUser, User
from tenants.mfa import mfa_missing

register = template.Library()


@register.filter
def aria(field: BoundField, form_error_id: str = "") -> SafeString:
    """The widget, described by its hint and errors, and marked invalid when it has some.
    With `form_error_id` (the id of where the form's own errors are shown, as on the
    sign-in page: "email or password not correct"), an error of the whole form describes
    the field and marks it invalid too."""
    described = []
    if field.help_text:
        described.append(f"{field.auto_id}_hint")
    attrs: dict[str, str | bool] = {}
    if field.errors:
        described.append(f"{field.auto_id}_errors")
        attrs["aria-invalid"] = "true"
    if form_error_id and field.form.non_field_errors():
        described.append(form_error_id)
        attrs["aria-invalid"] = "true"
    if described:
        attrs["aria-describedby"] = " ".join(described)
    return field.as_widget(attrs=attrs)


@register.filter
def is_required(field: BoundField) -> bool:
    return bool(field.field.widget.attrs.get("required"))


@register.filter
def next_promise(case: Case) -> DueTime | None:
    return next_due(case)


@register.filter
def person(user: User | None, viewer: object = None) -> str:
    """How a person is named on a page: "You" for the viewer, else their name."""
    if user is None:
        return "SupportDesk"
    if viewer is not None and getattr(viewer, "pk", None) == getattr(user, "pk", None):
        return "You"
    return user.get_full_name() or user.get_username()


@register.filter
def lowerfirst(text: object) -> str:
    """An event's message continued after the actor's name: only its first letter is
    lowered, so a name or a title inside it keeps its capitals."""
    text = str(text)
    if len(text) > 1 and text[1].isupper():
        return text  # an acronym or reference ("KI-2", "SLA") keeps its case
    return text[:1].lower() + text[1:]


_FILED_THROUGH = {
    Channel.PORTAL: "in the portal",
    Channel.EMAIL: "by email",
    Channel.PHONE: "by phone",
    Channel.API: "through the API",
}


@register.filter
def filed_how(event: CaseEvent) -> str:
    """How and at which priority a case was filed, for its timeline ("in the portal,
    priority P2"), from what the event recorded rather than its staff wording."""
    channel = _FILED_THROUGH.get(event.data.get("channel", ""), "")
    priority = event.data.get("priority", "")
    parts = [channel, f"priority {priority}" if priority else ""]
    return ", ".join(part for part in parts if part) or event.message


@register.filter
def initials(user: User | None) -> str:
    if user is None:
        return "SD"
    name = user.get_full_name() or user.get_username()
    parts = [part for part in name.replace("@", " ").split() if part]
    return "".join(part[0] for part in parts[:2]).upper() or "?"


@register.filter
def target_words(code: str) -> str:
    """A plan's stored target ("4bh") as words ("4 business hours")."""
    if not code:
        return ""
    try:
        return str(Target.parse(code))
    except ValueError:
        return code


@register.filter
def needs_second_step(user: AnyUser) -> bool:
    """The user must set up two-step sign-in before anything else (tenants.mfa)."""
    return mfa_missing(user)


@dataclass(frozen=True)
class Problem:
    """One line of a form's error summary: what is wrong, and the id of the element
    to go to for it ("" when there is none)."""

    text: str
    anchor: str


def error_anchor(field: BoundField) -> str:
    """Where the summary's link for `field` goes: the input itself, or for a group of
    radios or checkboxes the element that holds them (Django renders it with the
    field's id; the portal's own fieldsets carry the same id)."""
    if isinstance(field.field.widget, RadioSelect | CheckboxSelectMultiple):
        return field.auto_id or ""
    return field.id_for_label or ""


@dataclass(frozen=True)
class ErrorSummary:
    """A form's errors for its summary: those of the whole form, then its fields'."""

    whole: list[Problem]
    fields: list[Problem]

    def __bool__(self) -> bool:
        return bool(self.whole or self.fields)


@register.simple_tag
def form_problems(form: BaseForm | None, tie_to: BoundField | None = None) -> ErrorSummary:
    """The errors of `form`: its own (linked to `tie_to` when given: the field a person
    fixes first for them, sign-in's email), then each field's, named by the field and
    linked to it, in the form's order."""
    if form is None or not isinstance(form, BaseForm) or not form.is_bound:
        return ErrorSummary([], [])
    anchor = error_anchor(tie_to) if isinstance(tie_to, BoundField) else ""
    whole = [Problem(str(error), anchor) for error in form.non_field_errors()]
    fields = []
    for field in form.visible_fields():
        label = field.label or field.html_name
        for error in field.errors:
            fields.append(Problem(f"{label}: {error}", error_anchor(field)))
    for field in form.hidden_fields():
        for error in field.errors:
            whole.append(Problem(str(error), anchor))
    return ErrorSummary(whole, fields)


@register.simple_tag(takes_context=True)
def title_error_prefix(context: template.Context) -> str:
    """ "Error: " before a page's title when a form on it came back with errors or the
    page carries an error message, so a screen reader says so before anything else."""
    for value in context.flatten().values():
        # Only a form its view has validated: the title never runs a form's checks first
        # (sign-in's would try the password).
        if isinstance(value, BaseForm) and value.is_bound and getattr(value, "_errors", None):
            return "Error: "
    for message in context.get("messages") or []:
        if message.level >= message_levels.ERROR:
            return "Error: "
    return ""
