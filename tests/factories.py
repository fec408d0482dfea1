"""factory_boy factories for the domain; tests build what they need from these."""

import datetime as dt
import secrets

import factory
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from cases.models import BusinessImpact, Case, EnvironmentAccess, Macro
from cases.services.priorities import priority_rank
from knowledge.models import Article, KnownIssue
from notifications.models import Announcement
from servicerequests.models import RequestType
from sla.models import Calendar
from tenants.api_tokens import TOKEN_PREFIX, digest
from tenants.models import (
    AccountRole,
    AccountTeamMember,
    ApiToken,
    AuthorizedContact,
    Category,
    Environment,
    EnvironmentKind,
    IntakeField,
    LetterOfAuthorization,
    Partner,
    PartnerMember,
    PlanCategory,
    PlanPriority,
    ProductFlag,
    SupportPhone,
    SupportPlan,
    Tenant,
)
from tenants.roles import Role
from tenants.services import DEFAULT_CATEGORIES, plan_categories_offer

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}@example.com")
    email = factory.SelfAttribute("username")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def roles(self, create: bool, extracted: list[Role] | None, **kwargs: object) -> None:
        if extracted:
            self.is_staff = True
            for role in extracted:
                self.groups.add(Group.objects.get_or_create(name=role.value)[0])
        if create:
            self.save()

    @factory.post_generation
    def second_step(self, create: bool, extracted: bool | None, **kwargs: object) -> None:
        """Staff have an authenticator app, as tenants.mfa requires; pass
        `second_step=False` for one who has not set it up yet (or True for anyone)."""
        wanted = self.is_staff if extracted is None else extracted
        if create and wanted:
            TOTP.activate(self, generate_totp_secret())


class CalendarFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Calendar
        django_get_or_create = ("name",)

    name = "Mon–Fri 9–17 New York"
    time_zone = "America/New_York"
    holiday_country = "US"


def category(code: str, name: str = "", **fields: object) -> Category:
    """The category row of a code (transactional tests flush the migration's rows)."""
    row, _created = Category.objects.get_or_create(
        code=code, defaults={"name": name or DEFAULT_CATEGORIES.get(code, code.title()), **fields}
    )
    return row


def offer(
    plan: SupportPlan, code: str, *, sla_applies: bool = True, order: int = 0
) -> PlanCategory:
    """Make the plan offer a category (created if need be)."""
    row, _created = PlanCategory.objects.update_or_create(
        plan=plan, category=category(code), defaults={"sla_applies": sla_applies, "order": order}
    )
    plan.forget_categories()
    return row


class SupportPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupportPlan
        django_get_or_create = ("name",)
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Plan {n}")
    calendar = factory.SubFactory(CalendarFactory)
    max_portal_contacts = 2

    @factory.post_generation
    def categories(self, create: bool, extracted: dict[str, bool] | None, **kwargs: object) -> None:
        """Offers the eight old categories (SLA on the four issue kinds) unless given
        `categories={code: sla_applies}`."""
        if not create or self.plan_categories.exists():
            return
        plan_categories_offer(plan_id=self.id, sla_applies=extracted)
        self.forget_categories()

    @factory.post_generation
    def priorities(self, create: bool, extracted: object, **kwargs: object) -> None:
        if not create or self.priorities.exists():
            return
        for rank, (code, name, response, update) in enumerate(
            [
                ("P1", "Critical", "1h", "1h"),
                ("P2", "High", "nbd", "2bd"),
                ("P3", "Normal", "nbd", "5bd"),
                ("P4", "Low", "2bd", "10bd"),
            ],
            start=1,
        ):
            PlanPriority.objects.create(
                plan=self,
                code=code,
                name=name,
                rank=rank,
                definition=f"{name} impact on the business.",
                initial_response=response,
                update_interval=update,
            )


class IntakeFieldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IntakeField

    plan = factory.SubFactory(SupportPlanFactory)
    key = factory.Sequence(lambda n: f"field_{n}")
    label = factory.Sequence(lambda n: f"Field {n}")
    kind = IntakeField.Kind.TEXT


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant

    name = factory.Sequence(lambda n: f"Customer {n}")
    reference_prefix = factory.Sequence(lambda n: f"C{n:03d}")
    plan = factory.SubFactory(SupportPlanFactory)


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuthorizedContact

    tenant = factory.SubFactory(TenantFactory)
    user = factory.SubFactory(UserFactory)
    certification = "Certified Administrator"
    certified_on = dt.date(2026, 1, 15)
    effective_from = dt.date(2026, 1, 1)


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner

    name = factory.Sequence(lambda n: f"Partner {n}")


class PartnerMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartnerMember

    partner = factory.SubFactory(PartnerFactory)
    user = factory.SubFactory(UserFactory)


class LetterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LetterOfAuthorization

    partner = factory.SubFactory(PartnerFactory)
    tenant = factory.SubFactory(TenantFactory)
    signatory_name = "Dana Signer"
    signatory_title = "Chief Information Officer"
    signed_on = dt.date(2026, 2, 1)
    status = LetterOfAuthorization.Status.ACTIVE


class CaseFactory(factory.django.DjangoModelFactory):
    """A case inserted directly in a given state; lifecycle tests go through services."""

    class Meta:
        model = Case

    tenant = factory.SubFactory(TenantFactory)
    number = factory.Sequence(lambda n: n + 1)
    reference = factory.LazyAttribute(lambda o: f"{o.tenant.reference_prefix}-{o.number:05d}")
    summary = factory.Faker("sentence", nb_words=6)
    category = "bug"
    priority = "P3"
    # What the services write beside the code: its rank in the tenant's plan.
    priority_rank = factory.LazyAttribute(lambda o: priority_rank(o.tenant.plan_id, o.priority))
    environment_access = EnvironmentAccess.GRANTED
    business_impact = BusinessImpact.MEDIUM
    environment = EnvironmentKind.PRODUCTION
    reporter = factory.SubFactory(UserFactory)


class AnnouncementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Announcement

    kind = Announcement.Kind.INCIDENT
    title = factory.Sequence(lambda n: f"Announcement {n}")
    body = "What happened and what we are doing about it."
    affected_products = factory.LazyFunction(lambda: ["SupportDesk Cloud"])
    starts_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=1))
    published = True


class ArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Article

    title = factory.Sequence(lambda n: f"Article {n}")
    slug = factory.Sequence(lambda n: f"article-{n}")
    body = "How to do it, step by step."
    is_published = True


class KnownIssueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KnownIssue

    title = factory.Sequence(lambda n: f"Known issue {n}")
    public_summary = "Symptoms and the workaround."
    internal_notes = "Root cause: a race in the exporter."
    stage = KnownIssue.Stage.IN_DEVELOPMENT


class EnvironmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Environment

    tenant = factory.SubFactory(TenantFactory)
    kind = EnvironmentKind.PRODUCTION
    name = factory.Sequence(lambda n: f"Environment {n}")
    product = "SupportDesk Cloud"
    version = "2026.10"


class ProductFlagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductFlag
        django_get_or_create = ("product", "key")

    product = "SupportDesk Cloud"
    key = factory.Sequence(lambda n: f"flag-{n}")
    name = factory.Sequence(lambda n: f"Flag {n}")


def account_role(code: str) -> AccountRole:
    """The role row of a code (the standard ones exist after migrate)."""
    return AccountRole.objects.get(code=code)


class AccountTeamMemberFactory(factory.django.DjangoModelFactory):
    """`role` may be given as a code (`AccountRole.COO`) or a row."""

    class Meta:
        model = AccountTeamMember

    @classmethod
    def _adjust_kwargs(cls, **kwargs: object) -> dict[str, object]:
        if isinstance(kwargs.get("role"), str):
            kwargs["role"] = account_role(str(kwargs["role"]))
        return kwargs

    tenant = factory.SubFactory(TenantFactory)
    role = AccountRole.CUSTOMER_SUCCESS_MANAGER
    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"account{n}@vendor.test")


class RequestTypeFactory(factory.django.DjangoModelFactory):
    """A catalogue entry; `plans=[plan, …]` offers it to those plans."""

    class Meta:
        model = RequestType
        django_get_or_create = ("code",)
        skip_postgeneration_save = True

    code = "sandbox_refresh"
    name = factory.LazyAttribute(lambda o: o.code.replace("_", " ").capitalize())

    @factory.post_generation
    def plans(self, create: bool, extracted: list | None, **kwargs: object) -> None:
        if create and extracted:
            self.plans.add(*extracted)


def api_token_for(user: object, name: str = "tests", **fields: object) -> tuple[ApiToken, str]:
    """A working API token for the user and its secret, made directly (the service
    refuses people without portal access, who may still hold an older token)."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=secret[:12], key_hash=digest(secret), **fields
    )
    return token, secret


# The first bytes of a PNG file: uploads are sniffed by content, so a test's "screenshot"
# must start like one.
PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
)


class SupportPhoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupportPhone

    plan = factory.SubFactory(SupportPlanFactory)
    region = "All regions"
    countries: list[str] = []
    number = "+1 212 555 0100"
    hours = "24×7 for Priority 1; 9am–5pm Mon–Fri"


class MacroFactory(factory.django.DjangoModelFactory):
    """A shared reply macro (no owner) unless given `owner`; written directly, as the
    services would save it, so tests of applying need no keeper."""

    class Meta:
        model = Macro

    name = factory.Sequence(lambda n: f"Macro {n}")
    body = "Hello {customer_name}, we are looking into {case_reference}. {engineer_name}"
