"""Forms that parse what the browser sent. The rules (what is required, what is allowed)
live in the services; these only turn text into values and carry the errors back."""

from collections.abc import Iterable
from typing import Any, cast

from allauth.account.forms import LoginForm
from django import forms
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm as DjangoPasswordResetForm

from cases.models import BusinessImpact, EnvironmentAccess
from notifications.models import Announcement
from notifications.webhooks import PUBLIC_EVENTS, WEBHOOK_EVENTS
from supportdesk.sign_in_limits import password_reset_allowed
from tenants.api_tokens import EXPIRY_CHOICES_DAYS
from tenants.contact_rules import first_effective_date
from tenants.intake_forms import intake_answers, intake_form_field, intake_form_name
from tenants.models import Environment, EnvironmentKind, IntakeField, SupportPlan

TEXTAREA = {"rows": 4}


def _text(label: str, *, required: bool = False, **attrs: object) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        widget=forms.TextInput(attrs={"required": True, **attrs} if required else attrs),
    )


def _area(label: str, help_text: str = "", *, required: bool = False) -> forms.CharField:
    attrs = {**TEXTAREA, "required": True} if required else TEXTAREA
    return forms.CharField(
        label=label, required=False, help_text=help_text, widget=forms.Textarea(attrs=attrs)
    )


class CaseForm(forms.Form):
    # Files come from request.FILES; the field is here so the service's errors land on it.
    attachments = forms.FileField(required=False)
    summary = _text("Summary", required=True, maxlength=200, autocomplete="off")
    category = forms.ChoiceField(label="Category", required=False, widget=forms.RadioSelect)
    priority = forms.ChoiceField(label="Priority", required=False, widget=forms.RadioSelect)
    description = _area("Description", "What happened, in your words.")
    steps_to_reproduce = _area("Steps to reproduce", "Numbered steps help us see it quickly.")
    expected_result = _area("Expected result")
    actual_result = _area("Actual result")
    business_impact = forms.TypedChoiceField(
        label="Business impact",
        coerce=int,
        choices=BusinessImpact.choices,
        initial=BusinessImpact.MEDIUM,
    )
    business_impact_details = _area(
        "Impact details", "Deadlines, revenue or people affected, workarounds you use."
    )
    users_affected = forms.IntegerField(
        label="Users affected", required=False, widget=forms.NumberInput(attrs={"min": 0})
    )
    environment = forms.TypedChoiceField(
        label="Environment",
        coerce=int,
        choices=EnvironmentKind.choices,
        initial=EnvironmentKind.PRODUCTION,
    )
    product = _text("Product")
    product_version = _text("Version")
    browsers = _text("Browsers", placeholder="e.g. Chrome 130, Safari 18")
    first_seen_at = forms.DateTimeField(
        label="First seen",
        required=False,
        help_text="Your local time.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    related_cases = _text("Related cases", placeholder="e.g. ACME-00012")
    environment_access = forms.ChoiceField(
        label="Access to your environment",
        required=False,
        choices=EnvironmentAccess.choices,
        widget=forms.RadioSelect,
    )

    tenant_environment_id = forms.TypedChoiceField(
        label="Your environment",
        coerce=int,
        empty_value=None,
        required=False,
        help_text="Which of your systems is affected; it sets the environment type.",
    )

    def __init__(
        self,
        *args: Any,
        plan: SupportPlan,
        environments: Iterable[Environment] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.priorities = list(plan.priorities.all())
        self.categories = list(plan.offered_categories().values())
        cast(forms.ChoiceField, self.fields["category"]).choices = [
            (row.category.code, row.category.name) for row in self.categories
        ]
        # The plan's questions, one form field each ("custom_fields.<key>", where the
        # service's errors land); all are text here, the service types and checks them.
        self.intake_fields = list(
            plan.intake_fields.filter(is_active=True, stage=IntakeField.Stage.INTAKE)
            .select_related("category")
            .order_by("order", "id")
        )
        for field in self.intake_fields:
            self.fields[intake_form_name(field)] = intake_form_field(field)
        cast(forms.ChoiceField, self.fields["priority"]).choices = [
            (p.code, f"{p.code} {p.name}") for p in self.priorities
        ]
        self.environments = list(environments)
        cast(forms.ChoiceField, self.fields["tenant_environment_id"]).choices = [
            ("", "Not listed / not sure"),
            *[
                (env.id, f"{env.name} · {env.get_kind_display()} · {env.product} {env.version}")
                for env in self.environments
            ],
        ]

    def intake_groups(self) -> list[dict[str, Any]]:
        """The questions grouped as the page shows them: those of every category, then
        each offered category's own (the script shows the chosen category's group)."""
        groups: list[dict[str, Any]] = [{"category": None, "fields": self._bound(None)}]
        groups += [
            {"category": row.category, "fields": self._bound(row.category_id)}
            for row in self.categories
        ]
        return [group for group in groups if group["fields"]]

    def _bound(self, category_id: int | None) -> list[tuple[IntakeField, forms.BoundField]]:
        return [
            (field, self[intake_form_name(field)])
            for field in self.intake_fields
            if field.category_id == category_id
        ]

    def service_arguments(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        # Only the chosen category's answers go to the service: without the script every
        # group is on the page, and answers typed into another category's are not its.
        chosen = data.get("category")
        applies = [f for f in self.intake_fields if f.category is None or f.category.code == chosen]
        data["custom_fields"] = intake_answers(applies, data)
        for field in self.intake_fields:
            data.pop(intake_form_name(field), None)
        data.pop("attachments", None)
        if data.get("business_impact") is None:
            data.pop("business_impact", None)
        if data.get("environment") is None:
            data.pop("environment", None)
        return data


class ReplyForm(forms.Form):
    attachments = forms.FileField(required=False)
    body = forms.CharField(
        label="Your reply",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "required": True}),
    )


class ReasonForm(forms.Form):
    """Reject a solution, cancel, reopen, rescind: each needs a few words of why."""

    reason_label = "Reason"
    reason = forms.CharField(
        label="Reason", required=False, widget=forms.Textarea(attrs={"rows": 3, "required": True})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = self.reason_label


class RejectForm(ReasonForm):
    prefix = "reject"
    reason_label = "What is still wrong?"


class CancelForm(ReasonForm):
    prefix = "cancel"
    reason_label = "Why is the case no longer needed?"


class ReopenForm(ReasonForm):
    prefix = "reopen"
    reason_label = "What still needs our help?"


class RescindForm(ReasonForm):
    prefix = "rescind"
    reason_label = "Reason for rescinding (kept on record)"


class AcceptForm(forms.Form):
    note = forms.CharField(
        label="Anything to add? (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class WatcherForm(forms.Form):
    email = forms.CharField(
        label="Email",
        required=False,
        widget=forms.EmailInput(attrs={"required": True, "autocomplete": "email"}),
    )
    name = _text("Name (optional)", autocomplete="name")


RATINGS = [(5, "5 Excellent"), (4, "4 Good"), (3, "3 Fair"), (2, "2 Poor"), (1, "1 Very poor")]


class SurveyForm(forms.Form):
    service = forms.TypedChoiceField(
        label="How satisfied are you with the service you received?",
        coerce=int,
        required=False,
        choices=RATINGS,
        widget=forms.RadioSelect,
    )
    timeliness = forms.TypedChoiceField(
        label="How satisfied are you with how quickly we responded and resolved it?",
        coerce=int,
        required=False,
        choices=RATINGS,
        widget=forms.RadioSelect,
    )
    quality = forms.TypedChoiceField(
        label="How satisfied are you with the quality of the solution?",
        coerce=int,
        required=False,
        choices=RATINGS,
        widget=forms.RadioSelect,
    )
    comment = _area("Anything else you'd like to tell us? (optional)")
    manager_contact = forms.BooleanField(
        label="Please have a support manager contact me about this case", required=False
    )


class ContactRequestForm(forms.Form):
    first_name = _text("First name", required=True, autocomplete="off")
    last_name = _text("Last name", required=True, autocomplete="off")
    email = forms.CharField(
        label="Email",
        required=False,
        widget=forms.EmailInput(attrs={"required": True, "autocomplete": "off"}),
    )
    phone = _text("Phone (optional)", autocomplete="off")
    training_completed = _text(
        "Training or certification completed",
        required=True,
        placeholder="e.g. Certified Administrator, March 2026",
    )
    effective_from = forms.DateField(
        label="Access from (optional)",
        required=False,
        help_text="Leave empty to start as soon as support approves.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, plan: SupportPlan | None = None, **kwargs: Any) -> None:
        """With the tenant's plan: its accepted certifications as a choice (when it lists
        any), and the first start its notice period allows as the default."""
        super().__init__(*args, **kwargs)
        if plan is None:
            return
        names = plan.accepted_certification_names
        if names:
            self.fields["training_completed"] = forms.ChoiceField(
                label="Certification held",
                required=False,
                choices=[("", "Choose…"), *((name, name) for name in names)],
                help_text=f"The {plan} plan gives portal access with one of these.",
                widget=forms.Select(attrs={"required": True}),
            )
        first = first_effective_date(plan)
        start = self.fields["effective_from"]
        start.initial = first
        start.widget.attrs["min"] = first.isoformat()
        days = plan.contact_notice_business_days
        if days:
            start.help_text = (
                f"Your plan asks for {days} business day{'s' if days != 1 else ''} notice "
                f"for a new contact: the earliest start is {first:%d %B %Y}."
            )


class SignInForm(LoginForm):
    """allauth's sign-in form (email, or a staff user name, and password), with the field
    names the portal has always posted (`username`, `password`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        login = self.fields.pop("login")
        staff_door = self.request is not None and self.request.path.startswith("/admin/")
        login.label = "Email or username" if staff_door else "Email"
        login.widget.attrs = {"autocomplete": "username", "inputmode": "email"}
        password = self.fields.pop("password")
        password.help_text = ""
        self.fields: dict[str, forms.Field] = {
            "username": login,
            "password": password,
            **self.fields,
        }

    def clean(self) -> dict:
        if "username" in self.cleaned_data:
            self.cleaned_data["login"] = self.cleaned_data["username"].strip()
        return super().clean()


class PasswordResetForm(DjangoPasswordResetForm):
    """Django's reset form, within the reset rate limits, with links built on SITE_URL:
    never on the request's Host header, which the requester chooses."""

    # Takes and passes on Django's options (the stubs spell them out one by one).
    def save(self, **options: Any) -> None:  # type: ignore[override]
        if not password_reset_allowed(request=options["request"], email=self.cleaned_data["email"]):
            return  # The same "check your email" page follows; nothing is sent.
        protocol, domain = settings.SITE_URL.split("://", 1)
        super().save(**{**options, "domain_override": domain, "use_https": protocol == "https"})


class AnnouncementAlertsForm(forms.Form):
    kinds = forms.MultipleChoiceField(
        label="Email me about",
        required=False,
        choices=Announcement.Kind.choices,
        widget=forms.CheckboxSelectMultiple,
    )


class EscalateForm(forms.Form):
    reason = forms.CharField(
        label="What is wrong with how this case is handled?",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "required": True}),
    )


class SessionChoiceForm(forms.Form):
    slot = forms.TypedChoiceField(
        label="Choose a time", coerce=int, required=False, widget=forms.RadioSelect
    )


class ApiTokenForm(forms.Form):
    name = _text("Name", required=True, maxlength=100, placeholder="e.g. Monitoring alerts")
    expires_in_days = forms.TypedChoiceField(
        label="Expires",
        coerce=int,
        empty_value=None,
        required=False,
        choices=[("", "Never (revoke it when no longer needed)")]
        + [(days, f"In {days} days") for days in EXPIRY_CHOICES_DAYS],
        initial=90,
    )


class WebhookEndpointForm(forms.Form):
    name = _text("Name", required=True, maxlength=100, placeholder="e.g. Our ticket system")
    url = _text(
        "Address (URL)", required=True, maxlength=500, placeholder="https://example.com/hooks"
    )
    events = forms.MultipleChoiceField(
        label="Send these events",
        required=False,
        choices=[(kind, WEBHOOK_EVENTS[kind]) for kind in sorted(PUBLIC_EVENTS)],
        widget=forms.CheckboxSelectMultiple,
    )


class ChoosePasswordForm(forms.Form):
    """An invited contact's first password; the service applies the password rules."""

    password = forms.CharField(
        label="Choose a password",
        required=False,
        strip=False,
        help_text="At least 8 characters (longer is better), not a common password, not "
        "all digits and not like your name or email.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "required": True}),
    )
    password_again = forms.CharField(
        label="Type it again",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "required": True}),
    )
