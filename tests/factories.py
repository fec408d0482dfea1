"""factory_boy factories for the domain; tests build what they need from these."""

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from cases.models import BusinessImpact, Case, EnvironmentAccess, EnvironmentKind
from knowledge.models import Article, KnownIssue
from sla.models import Calendar
from tenants.models import (
    AuthorizedContact,
    Category,
    LetterOfAuthorization,
    Partner,
    PartnerMember,
    PlanPriority,
    SupportPlan,
    Tenant,
)
from tenants.roles import Role

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


class CalendarFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Calendar
        django_get_or_create = ("name",)

    name = "Mon–Fri 9–17 New York"
    time_zone = "America/New_York"
    holiday_country = "US"


class SupportPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupportPlan
        django_get_or_create = ("name",)
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Plan {n}")
    calendar = factory.SubFactory(CalendarFactory)
    max_portal_contacts = 2

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
    category = Category.BUG
    priority = "P3"
    environment_access = EnvironmentAccess.GRANTED
    business_impact = BusinessImpact.MEDIUM
    environment = EnvironmentKind.PRODUCTION
    reporter = factory.SubFactory(UserFactory)


class KnownIssueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KnownIssue

    title = factory.Faker("sentence", nb_words=5)
    public_summary = "Exports over 50,000 rows time out. Workaround: export one month at a time."
    stage = KnownIssue.Stage.IN_DEVELOPMENT


class ArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Article

    title = factory.Faker("sentence", nb_words=5)
    slug = factory.Sequence(lambda n: f"article-{n}")
    body = "Open Settings, then Security, and choose Rotate."
