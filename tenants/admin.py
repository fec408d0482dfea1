from collections.abc import Mapping
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django import forms
from django.contrib import admin
from django.db import models
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from supportdesk.admin_actions import (
    ServiceBackedAdmin,
    add_service_errors,
    run_for_each,
    with_text,
)
from supportdesk.admin_messages import report_reapplied
from supportdesk.errors import InvalidInput
from supportdesk.types import AuthenticatedHttpRequest, signed_in
from tenants import services
from tenants.invitations import ONBOARDING_LABELS, contact_onboarding
from tenants.models import (
    COUNTRY_PATTERN,
    AcceptedCertification,
    AccountRole,
    AccountTeamMember,
    AgreedUpdateCadence,
    AuthorizedContact,
    Category,
    ContactRequest,
    Environment,
    EnvironmentFlag,
    EscalationLevel,
    IntakeField,
    LetterOfAuthorization,
    NotificationAddress,
    Partner,
    PartnerMember,
    PlanPriority,
    ProductFlag,
    SupportPhone,
    SupportPlan,
    Tenant,
)
from tenants.plan_editor import PlanPriorityForm, SupportPlanForm
from tenants.roles import Role, has_role

# allauth's admin for authenticators shows their stored data (the second step's secrets,
# encrypted or not): nobody reads or edits another person's second step. Its email
# addresses are sign-in names the desk does not use (a user's address is on the user).
admin.site.unregister(Authenticator)
admin.site.unregister(EmailAddress)


class PlanPriorityInline(admin.StackedInline):
    """Each priority on its own card: a table of eleven columns does not fit the page.
    Targets are a number and a unit (`plan_editor.TargetField`), their meaning beside."""

    model = PlanPriority
    form = PlanPriorityForm
    extra = 0
    fieldsets = [
        (None, {"fields": [("code", "name", "rank"), "definition", "calendar"]}),
        (
            "Targets",
            {
                "fields": [
                    "initial_response",
                    "off_hours_initial_response",
                    "update_interval",
                    "resolution",
                ],
                "description": "A number and a unit; business time counts on the priority's "
                "calendar, else the plan's. No unit: no target.",
            },
        ),
        (
            "How it is raised",
            {"fields": ["channel_rule", "environments_allowed"], "classes": ["collapse"]},
        ),
    ]


class CountryCodesField(forms.CharField):
    """ISO 3166 codes edited as "US, CA, MX", stored as a list."""

    def prepare_value(self, value: object) -> object:
        if isinstance(value, list):
            return ", ".join(value)
        return value

    def to_python(self, value: object) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        codes = [code.strip().upper() for code in text.replace(";", ",").split(",")]
        codes = [code for code in codes if code]
        bad = [code for code in codes if not COUNTRY_PATTERN.fullmatch(code)]
        if bad:
            raise forms.ValidationError(f"Not two-letter ISO 3166 codes: {', '.join(bad)}.")
        return list(dict.fromkeys(codes))


class SupportPhoneForm(ModelForm):
    countries = CountryCodesField(
        required=False,
        help_text="e.g. US, CA, MX; blank: every country no other number names.",
    )

    class Meta:
        model = SupportPhone
        fields = ["region", "countries", "number", "hours", "order"]


class SupportPhoneFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        catch_all, seen = 0, {}
        for form in self.forms:
            if not form.cleaned_data or form.cleaned_data.get("DELETE"):
                continue
            countries = form.cleaned_data.get("countries") or []
            catch_all += not countries
            for code in countries:
                if code in seen:
                    raise forms.ValidationError(f"{code} is named by two numbers.")
                seen[code] = True
        if catch_all > 1:
            raise forms.ValidationError(
                "Only one number may serve every other country (blank countries)."
            )


class SupportPhoneInline(admin.StackedInline):
    model = SupportPhone
    form = SupportPhoneForm
    formset = SupportPhoneFormSet
    fields = [("region", "number", "order"), ("countries", "hours")]
    extra = 0
    verbose_name_plural = "Support phone numbers, by region"


class IntakeFieldInline(admin.StackedInline):
    """The plan's own questions, asked when a case is filed or when staff close it."""

    model = IntakeField
    fields = [
        ("label", "key"),
        ("category", "stage"),
        ("kind", "required"),
        "choices",
        "help_text",
        ("order", "is_active"),
    ]
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 3})}}
    extra = 0

    def formfield_for_foreignkey(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> forms.ModelChoiceField | None:
        if db_field.name == "category":
            kwargs["queryset"] = Category.objects.filter(is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class PlanEscalationLevelInline(admin.StackedInline):
    """The plan's customer escalation path (tenants may have their own)."""

    model = EscalationLevel
    fk_name = "plan"
    fields = [("level", "role", "rise_after")]
    extra = 0


class AcceptedCertificationInline(admin.StackedInline):
    """The certifications that give portal access on this plan; none listed: any recorded
    one. Changing the list changes who has access at once."""

    model = AcceptedCertification
    fields = [("name", "order")]
    extra = 0
    verbose_name_plural = "Accepted certifications (none listed: any recorded certification)"


@admin.register(SupportPlan)
class SupportPlanAdmin(admin.ModelAdmin):
    """The plan editor. Inlines are stacked (labelled fields that fit 1280 px); the
    categories are checkboxes that `plan_categories_set` saves."""

    form = SupportPlanForm
    list_display = [
        "name",
        "contact_limit",
        "contact_notice_business_days",
        "calendar",
        "reopen_window_days",
        "queue_precedence",
    ]
    inlines = [
        AcceptedCertificationInline,
        PlanPriorityInline,
        IntakeFieldInline,
        SupportPhoneInline,
        PlanEscalationLevelInline,
    ]
    fieldsets = [
        (None, {"fields": ["name", "description", "calendar"]}),
        (
            "Categories",
            {
                "fields": ["categories_offered", "categories_with_sla"],
                "description": "A category no longer offered stays on its cases; new cases "
                "can no longer choose it.",
            },
        ),
        (
            "Contact rules",
            {
                "fields": [
                    "max_portal_contacts",
                    "recommended_min_contacts",
                    "contact_notice_business_days",
                    "partners_count_toward_limit",
                    "partners_need_certification",
                ],
                "description": "Who may use the portal for a customer on this plan. The "
                "accepted certifications are listed below. A removed contact loses access "
                "at once: a contact is authorized until written notice removing them is "
                "received.",
            },
        ),
        (
            "Cases",
            {
                "fields": [
                    "queue_precedence",
                    "follow_up_after_days",
                    "auto_close_after_days",
                    "solution_reminder_days",
                    "solution_auto_close_days",
                    "reopen_window_days",
                    "case_files_quota_mb",
                    "tenant_files_quota_mb",
                ]
            },
        ),
    ]

    @admin.display(description="Contacts allowed", ordering="max_portal_contacts")
    def contact_limit(self, plan: SupportPlan) -> str:
        return "no limit" if plan.max_portal_contacts is None else str(plan.max_portal_contacts)

    class Media:
        css = {"all": ["staff/plan_editor.css"]}
        js = ["staff/plan_editor.js"]

    def save_related(
        self, request: HttpRequest, form: ModelForm, formsets: list, change: bool
    ) -> None:
        super().save_related(request, form, formsets, change)
        if isinstance(form, SupportPlanForm) and (not change or form.categories_changed()):
            form.save_categories(signed_in(request))
        if change:
            # After the priorities inline is saved, so the new targets and ranks count.
            report_reapplied(self, request, services.plan_reapply(plan_id=form.instance.id))


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    """Categories every plan may offer; a plan picks its own on its page. The code is what
    cases store, so it is set once."""

    list_display = ["name", "code", "is_active", "order", "offered_on"]
    list_editable = ["order"]
    fields = ["name", "code", "description", "is_active", "order"]
    search_fields = ["name", "code"]

    def get_readonly_fields(self, request: HttpRequest, obj: Category | None = None) -> list[str]:
        return ["code"] if obj is not None else []

    def get_queryset(self, request: HttpRequest) -> QuerySet[Category]:
        return super().get_queryset(request).annotate(plans=models.Count("plan_links"))

    @admin.display(description="offered on plans", ordering="plans")
    def offered_on(self, category: Category) -> int:
        return category.plans  # type: ignore[attr-defined]

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ContactInline(admin.TabularInline):
    """Shown, never edited here: contacts are granted, changed and removed on their own
    page, through the services that hold the plan's limit and the customer's removals."""

    model = AuthorizedContact
    extra = 0
    fields = readonly_fields = (
        "user",
        "certification",
        "certified_on",
        "effective_from",
        "is_active",
    )
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class NotificationAddressInline(admin.TabularInline):
    model = NotificationAddress
    extra = 0


HTTPS_URLS: dict[type[models.Field], Mapping[str, Any]] = {
    models.URLField: {"assume_scheme": "https"}
}


class EnvironmentInline(admin.TabularInline):
    model = Environment
    formfield_overrides = HTTPS_URLS
    fields = ["kind", "name", "product", "version", "url", "active"]
    extra = 0
    show_change_link = True
    can_delete = False


class AccountTeamInline(admin.TabularInline):
    model = AccountTeamMember
    fields = ["role", "user", "name", "email", "phone", "shown_in_portal"]
    autocomplete_fields = ["user"]
    extra = 0


class AgreedUpdateCadenceForm(ModelForm):
    class Meta:
        model = AgreedUpdateCadence
        fields = ["priority_code", "update_interval"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        interval = data.get("update_interval")
        if interval:
            try:
                data["update_interval"] = services.clean_update_interval(interval)
            except InvalidInput as error:
                self.add_error("update_interval", error.message)
        tenant = self.instance.tenant if self.instance.tenant_id else None
        code = data.get("priority_code")
        if tenant is not None and code:
            codes = list(tenant.plan.priorities.values_list("code", flat=True))
            if code not in codes:
                self.add_error("priority_code", f"The plan's priorities: {', '.join(codes)}.")
        return data


class AgreedUpdateCadenceInline(admin.TabularInline):
    """Update intervals agreed with this customer; they replace the plan's per priority
    (a case's own agreed interval replaces both). Saving recomputes its open cases."""

    model = AgreedUpdateCadence
    form = AgreedUpdateCadenceForm
    extra = 0
    verbose_name_plural = "Agreed update cadence (replaces the plan's update interval)"


class TenantEscalationLevelInline(admin.TabularInline):
    """Levels here replace the plan's escalation path for this tenant."""

    model = EscalationLevel
    fk_name = "tenant"
    fields = ["level", "role", "rise_after"]
    extra = 0
    verbose_name_plural = "Escalation path (overrides the plan's)"


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "reference_prefix",
        "plan",
        "time_zone",
        "is_active",
        "require_mfa_for_contacts",
    ]
    list_filter = ["plan", "is_active", "require_mfa_for_contacts"]
    search_fields = ["name", "reference_prefix"]
    inlines = [
        ContactInline,
        NotificationAddressInline,
        EnvironmentInline,
        AccountTeamInline,
        TenantEscalationLevelInline,
        AgreedUpdateCadenceInline,
    ]

    def save_model(self, request: HttpRequest, obj: Tenant, form: ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "plan" in form.changed_data:
            report_reapplied(self, request, services.tenant_plan_reapply(tenant_id=obj.id))

    def save_related(
        self, request: HttpRequest, form: ModelForm, formsets: list, change: bool
    ) -> None:
        super().save_related(request, form, formsets, change)
        cadences_changed = any(
            formset.model is AgreedUpdateCadence and formset.has_changed() for formset in formsets
        )
        if change and cadences_changed and "plan" not in form.changed_data:
            # After the inline is saved, so the new cadences count (a plan change already
            # recomputed every open case).
            report_reapplied(
                self, request, services.tenant_cadences_reapply(tenant_id=form.instance.id)
            )

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class SuggestingInput(forms.TextInput):
    """A text box that suggests values (an HTML datalist), e.g. every plan's accepted
    certifications while the customer, and so the plan, is not chosen yet."""

    def __init__(self, suggestions: list[str], attrs: dict | None = None) -> None:
        super().__init__(attrs)
        self.suggestions = suggestions

    def render(
        self, name: str, value: Any, attrs: dict | None = None, renderer: Any = None
    ) -> SafeString:
        list_id = f"{(attrs or {}).get('id', name)}-suggestions"
        box = super().render(name, value, {**(attrs or {}), "list": list_id}, renderer)
        options = format_html_join(
            "", '<option value="{}"></option>', ((text,) for text in self.suggestions)
        )
        return format_html('{}<datalist id="{}">{}</datalist>', box, list_id, options)


class ContactForm(forms.ModelForm):
    """Granting a contact (tenant and user) or correcting one's details (the rest). The
    certification is a choice of the plan's accepted ones where the customer (so the plan)
    is known and lists any; on a new contact, every plan's are suggested. The service
    refuses one the customer's plan does not accept, naming those it does."""

    class Meta:
        model = AuthorizedContact
        fields = [
            "tenant",
            "user",
            "certification",
            "certified_on",
            "phone",
            "country",
            "effective_from",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        start = self.fields.get("effective_from")
        if start is not None and self.instance.pk is None:
            start.required = False
            start.initial = None
            start.help_text = "Leave empty for the first day the plan's notice period allows."
        field = self.fields.get("certification")
        if field is None:
            return
        plan = self.instance.tenant.plan if self.instance.tenant_id else None
        names = plan.accepted_certification_names if plan is not None else []
        if names:
            current = self.instance.certification
            choices = [(name, name) for name in names]
            if current and current not in names:
                choices.append((current, f"{current} (not accepted by the plan)"))
            self.fields["certification"] = forms.ChoiceField(
                label=field.label, choices=[("", "—"), *choices], required=False
            )
        elif plan is None:
            suggestions = sorted(set(AcceptedCertification.objects.values_list("name", flat=True)))
            field.widget = SuggestingInput(suggestions)


@admin.register(AuthorizedContact)
class AuthorizedContactAdmin(ServiceBackedAdmin):
    """Every save is `contact_grant` (add, within the plan's limit, with an invitation) or
    `contact_update` (details of an active contact). Who and for which customer never
    change; removal, granting a removed contact again (`contact_grant`: the limit holds,
    and a contact the customer removed comes back only through its own request) and
    resending an invitation are the actions."""

    form = ContactForm
    list_display = ["user", "tenant", "certification", "effective_from", "is_active", "sign_in"]
    list_filter = ["is_active", "tenant"]
    search_fields = ["user__email", "user__first_name", "user__last_name", "tenant__name"]
    autocomplete_fields = ["user", "tenant"]
    actions = [
        with_text(
            description="Remove contact",
            label="Reason for removal",
            done="Contacts removed",
            perform=lambda request, contact, text: services.contact_remove(
                actor=request.user, contact_id=contact.id, reason=text
            ),
        ),
        "grant_again",
        "resend_invitation",
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuthorizedContact]:
        return super().get_queryset(request).select_related("user").prefetch_related("invitations")

    @admin.display(description="Sign-in")
    def sign_in(self, contact: AuthorizedContact) -> str:
        return ONBOARDING_LABELS[contact_onboarding(contact, timezone.now())]

    @admin.action(description="Resend invitation (the previous link stops working)")
    def resend_invitation(
        self, request: AuthenticatedHttpRequest, queryset: QuerySet[AuthorizedContact]
    ) -> None:
        run_for_each(
            self,
            request,
            queryset,
            lambda contact: services.contact_invitation_resend(
                actor=request.user, contact_id=contact.id
            ),
            "Invitations sent",
        )

    @admin.action(description="Grant access again (within the plan's contact limit)")
    def grant_again(
        self, request: AuthenticatedHttpRequest, queryset: QuerySet[AuthorizedContact]
    ) -> None:
        run_for_each(
            self,
            request,
            queryset,
            lambda contact: services.contact_grant(
                actor=request.user,
                tenant_id=contact.tenant_id,
                user=contact.user,
                certification=contact.certification,
            ),
            "Contacts granted access again",
        )

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list[str]:
        removal = ["is_active", "removed_at", "removed_by", "removal_reason"]
        return removal if obj is None else ["tenant", "user", *removal]

    def has_change_permission(
        self, request: HttpRequest, obj: AuthorizedContact | None = None
    ) -> bool:
        if obj is not None and not obj.is_active:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: AuthorizedContact, form: ModelForm, change: bool
    ) -> None:
        data = form.cleaned_data
        if change:
            saved = services.contact_update(
                actor=signed_in(request),
                contact_id=obj.id,
                phone=data["phone"],
                country=data["country"],
                certification=data["certification"],
                certified_on=data["certified_on"],
                effective_from=data["effective_from"],
            )
        else:
            saved = services.contact_grant(
                actor=signed_in(request),
                tenant_id=data["tenant"].id,
                user=data["user"],
                certification=data["certification"],
                phone=data["phone"],
                country=data["country"],
                certified_on=data["certified_on"],
                effective_from=data["effective_from"] or None,
            )
        obj.pk = saved.pk
        obj.refresh_from_db()


@admin.register(ContactRequest)
class ContactRequestAdmin(admin.ModelAdmin):
    """Requests come from the customer's contacts and are decided by the actions; the
    request itself is never edited, so what is approved is what the customer asked."""

    list_display = ["__str__", "tenant", "email", "training_completed", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["email", "last_name", "tenant__name"]
    readonly_fields = ["status", "decided_by", "decided_at", "decision_note", "contact"]
    actions = [
        "approve",
        with_text(
            description="Reject request",
            label="Reason, shown to the customer",
            done="Requests rejected",
            perform=lambda request, obj, text: services.contact_request_reject(
                actor=request.user, request_id=obj.id, note=text
            ),
        ),
    ]

    @admin.action(description="Approve request (within the plan's contact limit)")
    def approve(self, request, queryset) -> None:
        run_for_each(
            self,
            request,
            queryset,
            lambda obj: services.contact_request_approve(actor=request.user, request_id=obj.id),
            "Requests approved",
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: ContactRequest | None = None
    ) -> bool:
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class LetterForm(forms.ModelForm):
    """What staff record from a signed letter; `letter_submit` saves it."""

    class Meta:
        model = LetterOfAuthorization
        fields = ["partner", "tenant", "signatory_name", "signatory_title", "signed_on", "document"]
        widgets = {"signed_on": forms.DateInput(attrs={"type": "date"})}

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        try:
            services.validate_letter(
                signatory_name=data.get("signatory_name", ""),
                signatory_title=data.get("signatory_title", ""),
                signed_on=data.get("signed_on"),
            )
        except InvalidInput as error:
            add_service_errors(self, error)
        return data

    def validate_unique(self) -> None:
        """One open letter per partner and customer: the service says so, in words."""


@admin.register(LetterOfAuthorization)
class LetterOfAuthorizationAdmin(ServiceBackedAdmin):
    """Staff record a letter (`letter_submit`); from then on it is read-only: its tenant,
    partner and signatory are what the customer signed. Approval (a triage lead or
    manager other than who recorded it), rejection and rescission are the actions."""

    form = LetterForm
    list_display = [
        "partner",
        "tenant",
        "signatory_name",
        "signed_on",
        "status",
        "submitted_by",
        "rescinded_at",
    ]
    list_filter = ["status", "partner"]
    search_fields = ["partner__name", "tenant__name", "signatory_name"]
    readonly_fields = [
        "status",
        "submitted_by",
        "reviewed_by",
        "reviewed_at",
        "review_note",
        "rescinded_by",
        "rescinded_at",
        "rescission_reason",
    ]
    actions = [
        "approve",
        with_text(
            description="Reject letter",
            label="Reason for rejection",
            done="Letters rejected",
            perform=lambda request, obj, text: services.letter_reject(
                actor=request.user, letter_id=obj.id, note=text
            ),
        ),
        with_text(
            description="Rescind letter",
            label="The customer's written reason",
            done="Letters rescinded",
            perform=lambda request, obj, text: services.letter_rescind(
                actor=request.user, letter_id=obj.id, reason=text
            ),
        ),
    ]

    @admin.action(description="Approve letter (partner may act from now on)")
    def approve(self, request, queryset) -> None:
        run_for_each(
            self,
            request,
            queryset,
            lambda obj: services.letter_approve(actor=request.user, letter_id=obj.id),
            "Letters approved",
        )

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        if not has_role(request.user, services.LETTER_APPROVER):
            actions.pop("approve", None)
        if not has_role(request.user, Role.ENGINEER):
            actions.pop("reject_letter", None)
            actions.pop("rescind_letter", None)
        return actions

    def get_queryset(self, request: HttpRequest) -> QuerySet[LetterOfAuthorization]:
        return super().get_queryset(request).select_related("partner", "tenant", "submitted_by")

    def has_change_permission(
        self, request: HttpRequest, obj: LetterOfAuthorization | None = None
    ) -> bool:
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: LetterOfAuthorization, form: ModelForm, change: bool
    ) -> None:
        data = form.cleaned_data
        saved = services.letter_submit(
            actor=signed_in(request),
            partner_id=data["partner"].id,
            tenant_id=data["tenant"].id,
            signatory_name=data["signatory_name"],
            signatory_title=data["signatory_title"],
            signed_on=data["signed_on"],
            document=data.get("document") or None,
        )
        obj.pk = saved.pk
        obj.refresh_from_db()


class PartnerMemberInline(admin.TabularInline):
    """Shown, never edited here: members are added and changed on their own page, through
    the services that hold the plans' contact limits (`partner_member_add`, `_update`)."""

    model = PartnerMember
    extra = 0
    fields = readonly_fields = ("user", "is_active", "certification", "certified_on")
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active"]
    search_fields = ["name"]
    inlines = [PartnerMemberInline]


class PartnerMemberForm(forms.ModelForm):
    class Meta:
        model = PartnerMember
        fields = ["partner", "user", "is_active", "certification", "certified_on"]
        widgets = {"certified_on": forms.DateInput(attrs={"type": "date"})}


@admin.register(PartnerMember)
class PartnerMemberAdmin(ServiceBackedAdmin):
    """Adding a member is `partner_member_add` (a place of the contact limit at every
    customer whose plan counts partners); changing one is `partner_member_update` (its
    certification, or turning it off or on). Who and for which partner never change."""

    form = PartnerMemberForm
    list_display = ["user", "partner", "is_active", "certification", "certified_on"]
    list_filter = ["is_active", "partner"]
    search_fields = ["user__email", "user__first_name", "user__last_name", "partner__name"]
    autocomplete_fields = ["user", "partner"]
    list_select_related = ["user", "partner"]

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list[str]:
        return [] if obj is None else ["partner", "user"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: PartnerMember, form: ModelForm, change: bool
    ) -> None:
        data = form.cleaned_data
        if change:
            saved = services.partner_member_update(
                actor=signed_in(request),
                member_id=obj.id,
                is_active=data["is_active"],
                certification=data["certification"],
                certified_on=data["certified_on"],
            )
        else:
            saved = services.partner_member_add(
                actor=signed_in(request),
                partner_id=data["partner"].id,
                user=data["user"],
                certification=data["certification"],
                certified_on=data["certified_on"],
                is_active=data["is_active"],
            )
        obj.pk = saved.pk
        obj.refresh_from_db()


@admin.register(AccountRole)
class AccountRoleAdmin(admin.ModelAdmin):
    """The roles of the vendor's side of an account team, and what each may do. A role in
    use is never deleted (team members and escalation levels name it by code), and its
    code never changes once saved."""

    list_display = ["name", "code", "can_escalate_immediately", "shown_in_portal_by_default"]
    search_fields = ["name", "code"]
    ordering = ["order", "name"]

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list[str]:
        return [] if obj is None else ["code"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class EnvironmentFlagInline(admin.TabularInline):
    model = EnvironmentFlag
    fields = ["flag", "enabled", "changed_at", "changed_by_request"]
    readonly_fields = ["changed_at", "changed_by_request"]
    extra = 0


@admin.register(Environment)
class EnvironmentAdmin(admin.ModelAdmin):
    formfield_overrides = HTTPS_URLS
    list_display = ["name", "tenant", "kind", "product", "version", "active"]
    list_filter = ["kind", "active", "product", "tenant"]
    search_fields = ["name", "tenant__name", "product"]
    inlines = [EnvironmentFlagInline]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ProductFlag)
class ProductFlagAdmin(admin.ModelAdmin):
    list_display = ["name", "key", "product", "active"]
    list_filter = ["product", "active"]
    search_fields = ["name", "key"]


@admin.register(AccountTeamMember)
class AccountTeamMemberAdmin(admin.ModelAdmin):
    list_display = ["display_name", "role", "tenant", "address", "shown"]
    list_filter = ["role", "tenant"]
    list_select_related = ["role", "tenant", "user"]

    @admin.display(description="Shown in portal", boolean=True)
    def shown(self, member: AccountTeamMember) -> bool:
        return member.is_shown_in_portal

    search_fields = ["name", "email", "user__email", "tenant__name"]
    autocomplete_fields = ["user", "tenant"]


# A tenant's single sign-on provider: its own module, registered with the admin here.
from tenants import sso_admin  # noqa: E402, F401
