import datetime as dt
import re
import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import OuterRef, Q
from django.utils import timezone

from sla.targets import Target


class Category(models.Model):
    """What a case is about. A plan offers some of these (`PlanCategory`) and says which
    carry SLA targets; `Case.category` stores the code."""

    code = models.SlugField(
        max_length=32, unique=True, help_text="Stored on every case of this category: keep it."
    )
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True, help_text="Shown beside the choice in the portal.")
    is_active = models.BooleanField(
        default=True, help_text="An inactive category is offered on no plan."
    )
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


# Category names by code, for pages that show a case's category (one query per process
# now and then rather than one per row). A missing code reloads, at most every few seconds;
# a renamed category shows its new name within a minute in every process.
_NAMES: dict[str, str] = {}
_NAMES_LOADED_AT = [0.0]
_NAMES_TTL = 60.0
_NAMES_RETRY = 5.0


def category_name(code: str) -> str:
    """The category's name for a code (the code itself when there is no such category)."""
    now = time.monotonic()
    age = now - _NAMES_LOADED_AT[0]
    if age > _NAMES_TTL or (code not in _NAMES and age > _NAMES_RETRY):
        _NAMES.clear()
        _NAMES.update(Category.objects.values_list("code", "name"))
        _NAMES_LOADED_AT[0] = now
    return _NAMES.get(code, code)


def default_sla_categories() -> list[str]:
    """The SLA categories of the JSON list plans kept before categories were data; only
    migrations 0001–0008 (and the reverse of 0009) name it."""
    return ["functionality_issue", "performance_issue", "outage", "bug"]


class SupportPlan(models.Model):
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    calendar = models.ForeignKey(
        "sla.Calendar",
        on_delete=models.PROTECT,
        related_name="plans",
        help_text="Business hours the plan's targets count in, unless a priority says otherwise.",
    )
    max_portal_contacts = models.PositiveSmallIntegerField(
        "portal contacts allowed",
        default=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="How many people may use the portal for a customer; empty for no limit. "
        "Removing a contact frees its place at once: a contact is authorized until written "
        "notice removing them is received.",
    )
    recommended_min_contacts = models.PositiveSmallIntegerField(
        "recommended minimum of contacts",
        default=0,
        help_text="Advice shown to the customer while fewer contacts are active "
        "(e.g. 'we recommend a minimum of two'); 0 for none. Never enforced.",
    )
    partners_count_toward_limit = models.BooleanField(
        "partners count toward the limit",
        default=False,
        help_text="The active members of partners holding an active letter of authorization "
        "for the customer take places of the contact limit.",
    )
    partners_need_certification = models.BooleanField(
        "partners need a certification",
        default=False,
        help_text="Partner members act for the customer only with a recorded certification "
        "(one the plan accepts, when it lists any).",
    )
    contact_notice_business_days = models.PositiveSmallIntegerField(
        "notice for new contacts (business days)",
        default=0,
        help_text="A new contact takes effect no earlier than this many business days (on "
        "the plan's calendar, holidays excluded) after it is asked for. Removal takes effect "
        "at once.",
    )
    follow_up_after_days = models.PositiveSmallIntegerField(
        default=3, help_text="Business days without a reply before the second contact attempt."
    )
    auto_close_after_days = models.PositiveSmallIntegerField(
        default=5,
        help_text="Business days after the follow-up note before the case closes (no response).",
    )
    solution_reminder_days = models.PositiveSmallIntegerField(default=3)
    solution_auto_close_days = models.PositiveSmallIntegerField(
        default=7, help_text="Business days of silence after a proposed solution before closure."
    )
    reopen_window_days = models.PositiveSmallIntegerField(
        default=14, help_text="Calendar days after closure within which the customer may reopen."
    )
    case_files_quota_mb = models.PositiveIntegerField(
        "Files per case (MB)",
        default=500,
        help_text="The most the files of one case may add up to, in megabytes.",
    )
    tenant_files_quota_mb = models.PositiveIntegerField(
        "Files per customer (MB)",
        default=20 * 1024,
        help_text="The most the files of all of a customer's cases may add up to, in megabytes.",
    )
    queue_precedence = models.PositiveSmallIntegerField(
        default=0,
        help_text="Higher goes first within a priority: the queue orders by priority, then "
        "by this, then by business impact. Changing it re-orders the plan's open cases.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def offered_categories(self) -> dict[str, "PlanCategory"]:
        """The plan's active categories by code, in the plan's order (with the category
        joined); read once per plan instance, since clock sweeps ask for every case."""
        cached: dict[str, PlanCategory] | None = getattr(self, "_offered_categories", None)
        if cached is None:
            rows = self.plan_categories.filter(category__is_active=True).select_related("category")
            cached = {row.category.code: row for row in rows}
            self._offered_categories = cached
        return cached

    def category_has_sla(self, category: str) -> bool:
        """Whether cases of this category carry the plan's SLA targets (a category the
        plan no longer offers carries none)."""
        row = self.offered_categories().get(category)
        return row is not None and row.sla_applies

    def forget_categories(self) -> None:
        self.__dict__.pop("_offered_categories", None)

    @property
    def accepted_certification_names(self) -> list[str]:
        """The names a certification must match; empty when any recorded one will do.
        Reads `accepted_certifications.all()`: prefetch it for lists."""
        return [row.name for row in self.accepted_certifications.all()]


class PlanCategory(models.Model):
    """A category the plan offers, and whether SLA targets apply to its cases."""

    plan = models.ForeignKey(SupportPlan, on_delete=models.CASCADE, related_name="plan_categories")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="plan_links")
    sla_applies = models.BooleanField(
        "SLA targets apply",
        default=True,
        help_text="Questions and requests usually carry no response or update targets.",
    )
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["plan", "order", "id"]
        verbose_name = "offered category"
        verbose_name_plural = "offered categories"
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "category"],
                name="unique_category_per_plan",
                violation_error_message="The plan already offers this category.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.plan}: {self.category}"


class IntakeField(models.Model):
    """A question a plan asks when a case is filed (intake) or closed (closure), for one
    category or for every category of the plan. Answers live on `Case.custom_fields`
    under `key`, typed: text and choice as text, number as a number, date as an ISO
    date, yes/no as true/false."""

    class Kind(models.TextChoices):
        TEXT = "text", "Text"
        CHOICE = "choice", "Choice"
        NUMBER = "number", "Number"
        DATE = "date", "Date"
        YES_NO = "yes_no", "Yes / no"

    class Stage(models.TextChoices):
        INTAKE = "intake", "When the case is filed"
        CLOSURE = "closure", "When staff close the case"

    plan = models.ForeignKey(SupportPlan, on_delete=models.CASCADE, related_name="intake_fields")
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="intake_fields",
        help_text="Empty: asked for every category of the plan.",
    )
    key = models.SlugField(
        max_length=40,
        help_text="Names the answer on the case and in the API, e.g. frequency; keep it.",
    )
    label = models.CharField(max_length=100)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.TEXT)
    choices = models.TextField(blank=True, help_text="For a choice: one option per line.")
    required = models.BooleanField(default=False)
    stage = models.CharField(max_length=8, choices=Stage.choices, default=Stage.INTAKE)
    help_text = models.CharField(max_length=300, blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["plan", "stage", "order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "key"],
                name="unique_intake_field_key_per_plan",
                violation_error_message="The plan already has a field with this key.",
            )
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def options(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]

    def clean(self) -> None:
        if self.kind == self.Kind.CHOICE and not self.options:
            raise ValidationError({"choices": "A choice needs its options, one per line."})
        if self.kind != self.Kind.CHOICE and self.choices.strip():
            raise ValidationError({"choices": "Only a choice has options; leave this empty."})


class ChannelRule(models.TextChoices):
    """How a customer raises a case at one priority."""

    PORTAL = "portal", "Portal or phone"
    PORTAL_AND_PHONE = "portal_and_phone", "Portal, and call us as well"
    PHONE_ONLY = "phone_only", "Phone only: the portal files nothing"


class AcceptedCertification(models.Model):
    """A product certification a plan accepts for portal access. A plan that lists none
    accepts any recorded certification or training; one that lists some accepts only
    those, and changing the list changes who has access at once."""

    plan = models.ForeignKey(
        SupportPlan, on_delete=models.CASCADE, related_name="accepted_certifications"
    )
    name = models.CharField(max_length=200)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["plan", "order", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "name"], name="unique_accepted_certification_per_plan"
            ),
        ]

    def __str__(self) -> str:
        return self.name


def holds_accepted_certification(plan: str, certification: str = "certification") -> Q:
    """The rows whose `certification` is recorded and accepted by the plan at the path
    `plan` (e.g. "tenant__plan"): any non-empty one when the plan lists none, else one of
    its names. Two uncorrelated-by-join subqueries, so the filter adds no row-multiplying
    join and works inside the caller's `filter()` of a multi-valued path. (Not a regex: on
    SQLite that runs a Python callback inside the query, which can deadlock a connection
    shared by threads.)"""
    lists_none = SupportPlan.objects.filter(accepted_certifications__isnull=True).values("id")
    accepting = AcceptedCertification.objects.filter(name=OuterRef(certification)).values("plan_id")
    return ~Q(**{certification: ""}) & (
        Q(**{f"{plan}__in": lists_none}) | Q(**{f"{plan}__in": accepting})
    )


def is_accepted_certification(plan: SupportPlan, certification: str) -> bool:
    """`holds_accepted_certification` of a loaded row."""
    if certification == "":
        return False
    names = plan.accepted_certification_names
    return not names or certification in names


class PlanPriority(models.Model):
    """One priority of a plan, with its definition (shown beside the choice) and targets.

    Targets are stored as `sla.targets.Target` strings ("1h", "nbd", "2bd", "immediate")."""

    plan = models.ForeignKey(SupportPlan, on_delete=models.CASCADE, related_name="priorities")
    code = models.CharField(max_length=8, help_text="P1, P2 … — P1 is the most urgent.")
    name = models.CharField(max_length=40)
    definition = models.TextField()
    rank = models.PositiveSmallIntegerField(help_text="1 is the most urgent.")
    calendar = models.ForeignKey(
        "sla.Calendar",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Overrides the plan's calendar, e.g. 24×7 for P1.",
    )
    initial_response = models.CharField(max_length=16, blank=True)
    off_hours_initial_response = models.CharField(
        max_length=16,
        blank=True,
        help_text="For a case received outside business hours; blank: the same as in hours.",
    )
    update_interval = models.CharField(max_length=16, blank=True)
    resolution = models.CharField(max_length=16, blank=True)
    channel_rule = models.CharField(
        max_length=20, choices=ChannelRule.choices, default=ChannelRule.PORTAL
    )
    environments_allowed = models.JSONField(
        default=list,
        blank=True,
        help_text="Environments a case at this priority may concern; none ticked: any.",
    )

    class Meta:
        ordering = ["plan", "rank"]
        verbose_name_plural = "plan priorities"
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="unique_priority_code_per_plan"),
            models.UniqueConstraint(fields=["plan", "rank"], name="unique_priority_rank_per_plan"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_phone_only(self) -> bool:
        return self.channel_rule == ChannelRule.PHONE_ONLY

    @property
    def wants_a_call(self) -> bool:
        """Filed in the portal, and the customer should call as well."""
        return self.channel_rule == ChannelRule.PORTAL_AND_PHONE

    def allows_environment(self, kind: int) -> bool:
        return not self.environments_allowed or kind in self.environments_allowed

    def environments_text(self) -> str:
        """ "Production" or "Production or Sandbox"; "" when any environment will do."""
        names = [EnvironmentKind(kind).label for kind in sorted(self.environments_allowed)]
        return " or ".join(names)

    def clean(self) -> None:
        errors = {}
        unknown = [k for k in self.environments_allowed or [] if k not in EnvironmentKind.values]
        if unknown:
            errors["environments_allowed"] = "Choose among production, sandbox and test."
        for name in (
            "initial_response",
            "off_hours_initial_response",
            "update_interval",
            "resolution",
        ):
            value = (getattr(self, name) or "").strip()
            if value:
                try:
                    setattr(self, name, Target.parse(value).code)
                except ValueError as error:
                    errors[name] = str(error)
        if errors:
            raise ValidationError(errors)


COUNTRY_PATTERN = re.compile(r"[A-Z]{2}")
COUNTRY_CODE = RegexValidator(r"^[A-Z]{2}$", "Two capital letters (ISO 3166), e.g. US.")


class SupportPhone(models.Model):
    """A plan's support number for one region; the row with no countries serves every
    country no other row names."""

    plan = models.ForeignKey(SupportPlan, on_delete=models.CASCADE, related_name="phones")
    region = models.CharField(max_length=60, help_text="e.g. Americas, EMEA, All regions.")
    countries = models.JSONField(
        default=list,
        blank=True,
        help_text="ISO 3166 codes, e.g. US, CA, MX; blank: every country of no other row.",
    )
    number = models.CharField(max_length=40)
    hours = models.CharField(
        max_length=200, blank=True, help_text="e.g. 24×7 for Priority 1; 9am–5pm Mon–Fri."
    )
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["plan", "order", "id"]

    def __str__(self) -> str:
        return f"{self.region}: {self.number}"

    @property
    def dial(self) -> str:
        """The number for a tel: link."""
        return "".join(ch for ch in self.number if ch.isdigit() or ch == "+")

    def clean(self) -> None:
        bad = [code for code in self.countries or [] if not COUNTRY_PATTERN.fullmatch(code)]
        if bad:
            raise ValidationError({"countries": f"Not ISO 3166 codes: {', '.join(bad)}."})


class Tenant(models.Model):
    name = models.CharField(max_length=200, unique=True)
    reference_prefix = models.CharField(
        max_length=10,
        unique=True,
        validators=[RegexValidator(r"^[A-Z][A-Z0-9]{1,9}$", "2–10 capital letters or digits.")],
        help_text="Starts every case reference, e.g. ACME-00042.",
    )
    plan = models.ForeignKey(SupportPlan, on_delete=models.PROTECT, related_name="tenants")
    time_zone = models.CharField(max_length=64, default="UTC")
    country = models.CharField(
        max_length=2,
        blank=True,
        validators=[COUNTRY_CODE],
        help_text="ISO 3166 code, e.g. US or DE: picks the support phone number shown.",
    )
    is_active = models.BooleanField(default=True)
    require_mfa_for_contacts = models.BooleanField(
        "require two-step sign-in for contacts",
        default=False,
        help_text=(
            "The tenant's contacts, and partner members acting for it, must set up two-step "
            "sign-in (authenticator app or security key) before they can use the portal or API."
        ),
    )
    last_case_number = models.PositiveIntegerField(
        default=0, editable=False, help_text="Advanced under a row lock when a case is filed."
    )
    files_bytes = models.PositiveBigIntegerField(
        default=0,
        editable=False,
        help_text="Bytes of files on the customer's cases: a running total the attachment "
        "service keeps in the transaction that stores them, so the quota costs no count.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AuthorizedContact(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="contacts")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="contacts"
    )
    phone = models.CharField(max_length=40, blank=True)
    country = models.CharField(
        max_length=2,
        blank=True,
        validators=[COUNTRY_CODE],
        help_text="ISO 3166 code of where the contact works; blank: the customer's country.",
    )
    certification = models.CharField(
        max_length=200,
        blank=True,
        help_text="Product certification or training held; without one (one the plan "
        "accepts, when it lists any) there is no portal access.",
    )
    certified_on = models.DateField(null=True, blank=True)
    effective_from = models.DateField(
        default=timezone.localdate,
        help_text="Access starts on this day, no earlier than the plan's notice period "
        "allows. Removal takes effect at once.",
    )
    is_active = models.BooleanField(default=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Staff may re-grant only a contact staff removed; the customer's own "
        "removal is undone only by the customer's contact request.",
    )
    removal_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["tenant", "user__last_name", "user__first_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "user"],
                name="unique_contact_per_tenant",
                violation_error_message="This person is already a contact of this customer; "
                "a removed contact is granted access again with its own action.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user.get_full_name() or self.user.get_username()} ({self.tenant})"

    # Certified: a certification is recorded that the tenant's plan accepts (any, when the
    # plan lists none; else one of its names). Every service that writes one stores it
    # stripped and, where the plan lists names, as the listed name (`contact_grant`,
    # `contact_update`, contact requests). `certified()` says it to the database,
    # `is_certified` of a loaded row.

    @staticmethod
    def certified() -> Q:
        return holds_accepted_certification("tenant__plan")

    @property
    def is_certified(self) -> bool:
        return is_accepted_certification(self.tenant.plan, self.certification)

    @property
    def has_portal_access(self) -> bool:
        return self.is_active and self.is_certified and self.effective_from <= timezone.localdate()


class ContactRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending review"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="contact_requests")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    first_name = models.CharField(max_length=150)
    last_name = models.CharField(max_length=150)
    email = models.EmailField()
    phone = models.CharField(max_length=40, blank=True)
    training_completed = models.CharField(max_length=200)
    effective_from = models.DateField(default=timezone.localdate)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=500, blank=True)
    contact = models.OneToOneField(
        AuthorizedContact, on_delete=models.PROTECT, null=True, blank=True, related_name="request"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} for {self.tenant} ({self.status})"


class NotificationAddress(models.Model):
    """An address the tenant wants copied on case updates, without portal access."""

    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="notification_addresses"
    )
    email = models.EmailField()
    name = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["email"]
        verbose_name_plural = "notification addresses"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "email"], name="unique_notification_address_per_tenant"
            ),
        ]

    def __str__(self) -> str:
        return self.email


class Partner(models.Model):
    name = models.CharField(max_length=200, unique=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PartnerMember(models.Model):
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="members")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="partner_membership"
    )
    is_active = models.BooleanField(default=True)
    certification = models.CharField(
        max_length=200,
        blank=True,
        help_text="Product certification held; needed to act for customers whose plan "
        "says partners need one.",
    )
    certified_on = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user.get_username()} @ {self.partner}"


class LetterOfAuthorization(models.Model):
    """A tenant's signed letter letting a partner act for it; active from staff approval
    until the tenant rescinds it in writing."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Awaiting staff review"
        ACTIVE = "active", "Active"
        REJECTED = "rejected", "Rejected"
        RESCINDED = "rescinded", "Rescinded"

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="letters")
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="letters")
    signatory_name = models.CharField(max_length=200)
    signatory_title = models.CharField(max_length=200)
    signed_on = models.DateField()
    document = models.FileField(upload_to="letters/%Y/", blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who recorded the letter; another person must approve it (four eyes).",
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(max_length=500, blank=True)
    rescinded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rescinded_at = models.DateTimeField(null=True, blank=True)
    rescission_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "letter of authorization"
        verbose_name_plural = "letters of authorization"
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "tenant"],
                condition=Q(status__in=["submitted", "active"]),
                name="one_open_letter_per_partner_and_tenant",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner} for {self.tenant} ({self.get_status_display()})"


# --- Environments, their feature flags, and the account team (issue 9).


class EnvironmentKind(models.IntegerChoices):
    """Ordered as the queue orders work: production before sandbox before test. Also the
    choices of `cases.Case.environment`, so a chosen environment sets that field."""

    PRODUCTION = 1, "Production"
    SANDBOX = 2, "Sandbox"
    TEST = 3, "Test"


class Environment(models.Model):
    """One of a tenant's systems: production, a sandbox or a test system."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="environments")
    kind = models.PositiveSmallIntegerField(choices=EnvironmentKind.choices)
    name = models.CharField(max_length=100, help_text="e.g. Production, UAT sandbox.")
    product = models.CharField(max_length=100)
    version = models.CharField(max_length=50, blank=True)
    url = models.URLField(blank=True)
    ip_allowlist = models.JSONField(
        default=list,
        blank=True,
        help_text="Networks allowed to reach the environment (CIDR); kept by IP allowlist "
        "requests.",
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["tenant", "kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="unique_environment_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class ProductFlag(models.Model):
    """A feature flag a product offers; customers ask for it per environment."""

    product = models.CharField(max_length=100)
    key = models.SlugField(max_length=100)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    active = models.BooleanField(default=True, help_text="Offered to customers.")

    class Meta:
        ordering = ["product", "name"]
        constraints = [
            models.UniqueConstraint(fields=["product", "key"], name="unique_flag_per_product"),
        ]

    def __str__(self) -> str:
        return self.name


class EnvironmentFlag(models.Model):
    """Whether a flag is on in an environment, kept by fulfilled flag requests."""

    environment = models.ForeignKey(Environment, on_delete=models.CASCADE, related_name="flags")
    flag = models.ForeignKey(ProductFlag, on_delete=models.PROTECT, related_name="states")
    enabled = models.BooleanField(default=False)
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by_request = models.CharField(
        max_length=24, blank=True, help_text="The service request that last changed it."
    )

    class Meta:
        ordering = ["environment", "flag"]
        constraints = [
            models.UniqueConstraint(fields=["environment", "flag"], name="one_state_per_flag"),
        ]

    def __str__(self) -> str:
        return f"{self.flag} {'on' if self.enabled else 'off'} in {self.environment}"


class AccountRole(models.Model):
    """A role on the vendor's side of a tenant's account team (customer success manager,
    technical account manager …), and what holding it allows. Account team members and
    escalation levels name a role by its code (the stored column keeps the code)."""

    # The codes the code itself names: the default escalation path and who hears of a
    # survey's "please have a manager contact me". They always exist (the data migration
    # and `ensure_account_roles` after every migrate create them).
    CUSTOMER_SUCCESS_MANAGER = "csm"
    CUSTOMER_SUCCESS_DIRECTOR = "cs_director"
    SOLUTIONS_ENGINEER = "solutions_engineer"
    COO = "coo"
    CEO = "ceo"
    TECHNICAL_ACCOUNT_MANAGER = "technical_account_manager"
    CUSTOMER_SUCCESS_PRINCIPAL = "customer_success_principal"
    CUSTOMER_SUPPORT_MANAGER = "customer_support_manager"

    code = models.SlugField(max_length=32, unique=True, help_text="Never changes once used.")
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    can_escalate_immediately = models.BooleanField(
        default=False,
        help_text="A staff user on a customer's account team in this role may escalate the "
        "customer's cases to the support managers, and raise their priority, at once.",
    )
    shown_in_portal_by_default = models.BooleanField(
        default=True, help_text="New team members in this role are shown to the customer."
    )
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class AccountTeamMember(models.Model):
    """A person of the tenant's account team: a staff user, or a named person with an
    address (an executive without a desk account)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="account_team")
    role = models.ForeignKey(
        AccountRole,
        to_field="code",
        db_column="role",
        on_delete=models.PROTECT,
        related_name="members",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="account_teams",
        help_text="A staff user; or leave empty and give a name and email.",
    )
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    shown_in_portal = models.BooleanField(
        null=True,
        blank=True,
        default=None,
        help_text="Shown to the customer in the portal. Empty: as the role says by default "
        "(executives on the escalation path are often not shown).",
    )

    class Meta:
        ordering = ["tenant", "role", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "role"], name="one_person_per_account_role"),
            models.CheckConstraint(
                condition=Q(user__isnull=False) | ~Q(email=""),
                name="account_team_member_has_user_or_email",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.role}, {self.tenant})"

    @property
    def display_name(self) -> str:
        if self.name:
            return self.name
        if self.user is not None:
            return self.user.get_full_name() or self.user.get_username()
        return self.email

    @property
    def address(self) -> str:
        return self.email or (self.user.email if self.user is not None else "")

    @property
    def is_shown_in_portal(self) -> bool:
        if self.shown_in_portal is None:
            return self.role.shown_in_portal_by_default
        return self.shown_in_portal

    SHOWN_IN_PORTAL = Q(shown_in_portal=True) | Q(
        shown_in_portal__isnull=True, role__shown_in_portal_by_default=True
    )


class EscalationLevel(models.Model):
    """One level of the customer escalation path: who hears of it, and how long it may
    stay unacknowledged before it rises to the next level. A plan sets the path for its
    tenants; a tenant with levels of its own uses those instead."""

    plan = models.ForeignKey(
        SupportPlan,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="escalation_levels",
    )
    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, null=True, blank=True, related_name="escalation_levels"
    )
    level = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    role = models.ForeignKey(
        AccountRole,
        to_field="code",
        db_column="role",
        on_delete=models.PROTECT,
        related_name="escalation_levels",
    )
    rise_after = models.CharField(
        max_length=16,
        default="1bd",
        help_text="SLA target form ('4bh', '1bd', '2h'), on the plan's calendar; rises to the "
        "next level when neither acknowledged nor resolved by then.",
    )

    class Meta:
        ordering = ["plan", "tenant", "level"]
        constraints = [
            models.CheckConstraint(
                condition=Q(plan__isnull=False, tenant__isnull=True)
                | Q(plan__isnull=True, tenant__isnull=False),
                name="escalation_level_for_plan_or_tenant",
            ),
            models.UniqueConstraint(
                fields=["plan", "level"],
                condition=Q(plan__isnull=False),
                name="one_escalation_level_per_plan",
            ),
            models.UniqueConstraint(
                fields=["tenant", "level"],
                condition=Q(tenant__isnull=False),
                name="one_escalation_level_per_tenant",
            ),
        ]

    def __str__(self) -> str:
        return f"Level {self.level}: {self.role}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from sla.targets import Target

        try:
            Target.parse(self.rise_after)
        except ValueError as error:
            raise ValidationError({"rise_after": str(error)}) from error


class ApiToken(models.Model):
    """A personal token for the REST API. Only its SHA-256 digest is stored; the token
    itself is shown once, when it is made. It acts as its user, so what it may reach is
    decided on every request by the same access function as the portal."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. 'CI alerts'.")
    prefix = models.CharField(
        max_length=16, help_text="The token's first characters, to recognise it in lists."
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(
        max_length=200, blank=True, help_text="Why it was revoked, when not by its owner."
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"
        indexes = [models.Index(fields=["user", "revoked_at"], name="api_token_user")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def is_usable(self, now: dt.datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class TenantIdentityProvider(models.Model):
    """A tenant's own OpenID Connect identity provider, through which its authorized
    contacts may sign in (tenants/sso.py decides whom it may sign in). The client secret
    is kept encrypted (supportdesk.encryption) and is never shown again once saved."""

    tenant = models.OneToOneField(
        Tenant, on_delete=models.CASCADE, related_name="identity_provider"
    )
    name = models.CharField(
        max_length=100, help_text="Shown on the sign-in button, e.g. 'Acme Okta'."
    )
    issuer = models.URLField(
        max_length=300,
        help_text="The provider's issuer URL; its discovery document is at "
        "<issuer>/.well-known/openid-configuration.",
    )
    client_id = models.CharField(max_length=255)
    client_secret_encrypted = models.TextField(editable=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "single sign-on provider"

    def __str__(self) -> str:
        return f"{self.name} ({self.tenant})"


class IdentityProviderDomain(models.Model):
    """An email domain a tenant's identity provider vouches for. One tenant per domain,
    so the portal knows where to send an address, and two tenants never claim it."""

    provider = models.ForeignKey(
        TenantIdentityProvider, on_delete=models.CASCADE, related_name="domains"
    )
    domain = models.CharField(max_length=253, unique=True)

    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain


class SessionCutoff(models.Model):
    """Every session of the user that signed in before `ended_at` is over: written when the
    user loses access (contact removed, letter rescinded) and checked on each request by
    `tenants.sessions.EndedSessionsMiddleware`, whatever the session engine."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="session_cutoff"
    )
    ended_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Sessions of {self.user_id} before {self.ended_at:%Y-%m-%d %H:%M}"


class ContactInvitation(models.Model):
    """An emailed, single-use link for a new contact to choose a password. Only the
    SHA-256 digest of the link's secret is kept; the secret itself is only in the email."""

    class Ended(models.TextChoices):
        SUPERSEDED = "superseded", "A newer invitation was sent"
        REVOKED = "revoked", "The contact was removed"

    contact = models.ForeignKey(
        AuthorizedContact, on_delete=models.CASCADE, related_name="invitations"
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_because = models.CharField(max_length=16, choices=Ended.choices, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["contact", "-created_at"], name="invitation_contact")]

    def __str__(self) -> str:
        return f"Invitation {self.id} for {self.contact}"

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.ended_at is None

    def is_expired(self, now: dt.datetime) -> bool:
        return self.expires_at <= now


class AgreedUpdateCadence(models.Model):
    """An update interval agreed with one customer for one priority; it replaces the
    plan's (a case's own agreed interval replaces both)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="update_cadences")
    priority_code = models.CharField("priority", max_length=8)
    update_interval = models.CharField(
        max_length=16, help_text="A target such as 2h (clock time), 4bh or 1bd."
    )

    class Meta:
        ordering = ["tenant", "priority_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "priority_code"], name="one_update_cadence_per_priority"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.priority_code}: every {self.update_interval}"


class StaffPreference(models.Model):
    """A staff user's own settings for the staff desk: the time zone staff pages show
    times in (settings.TIME_ZONE until they choose one). Customers have none."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_preference"
    )
    time_zone = models.CharField(
        max_length=64, help_text="An IANA zone name, such as Europe/Berlin."
    )

    def __str__(self) -> str:
        return f"Preferences of {self.user}"
