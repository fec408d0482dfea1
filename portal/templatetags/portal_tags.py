"""Template helpers of the portal: accessible form widgets and case wording."""

from django import template
from django.forms import BoundField
from django.utils.safestring import SafeString

from cases.models import Case, CaseEvent, Channel
from portal.presenters import DueTime, next_due
from sla.targets import Target
from supportdesk.types import AnyUser, User
from tenants.mfa import mfa_missing

register = template.Library()


@register.filter
def aria(field: BoundField) -> SafeString:
    """The widget, described by its hint and errors, and marked invalid when it has some."""
    described = []
    if field.help_text:
        described.append(f"{field.auto_id}_hint")
    attrs: dict[str, str | bool] = {}
    if field.errors:
        described.append(f"{field.auto_id}_errors")
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
