"""The four source policies (`../shared/policies/000–003`) as demo data, side by side.

One plan and one tenant per policy, named by tier, entered as a vendor's admin would
enter the contract: calendars, priorities, offered categories, intake and closure fields,
phone numbers, contact rules, account team, escalation path, groups and routing rules.
Contacts, partner members and letters go through the tenants services; plain
configuration rows are created directly. Each `load_*` function builds one policy on its
own (the tests load one at a time) and does nothing when its tenant already exists.
Where a document gives no figure the value here is ours (see the README).
"""

import datetime as dt
from collections.abc import Callable, Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from cases.models import AssignPolicy, GroupMembership, RoutingRule, SupportGroup
from sla.models import Calendar
from supportdesk.types import User
from tenants import services as tenant_services
from tenants.models import (
    AcceptedCertification,
    AccountRole,
    AccountTeamMember,
    AuthorizedContact,
    ChannelRule,
    Environment,
    EnvironmentKind,
    EscalationLevel,
    IntakeField,
    Partner,
    PlanPriority,
    SupportPhone,
    SupportPlan,
    Tenant,
)
from tenants.roles import Role

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - printed for the demo on purpose

# The day the demo's contacts were granted access (before any demo case).
CONTACTS_FROM = dt.date(2026, 1, 1)
PRODUCT = "SupportDesk Cloud"

# Printed by `seed_demo` after its own logins: (who, login).
LOGINS = [
    ("A  Premier Tier (000), US contact", "paula@prem.demo"),
    ("A  Premier Tier (000), UK contact", "gareth@prem.demo"),
    ("B  Premium Success (001)", "berta@psuc.demo"),
    ("B  Premium Success (001)", "bruno@psuc.demo"),
    ("C  High Priority (002)", "hana@hipri.demo"),
    ("C  High Priority (002)", "hugh@hipri.demo"),
    ("C  technical account manager (staff)", "tara@supportdesk.demo"),
    ("D  Partner Tier (003)", "dora@part.demo"),
    ("D  Partner Tier (003)", "dev@part.demo"),
    ("D  partner member (letter for PART)", "cody@channelpartner.demo"),
]


# --- people ---------------------------------------------------------------------------


def _user(email: str, first: str, last: str, **extra: object) -> User:
    user, created = get_user_model().objects.get_or_create(
        username=email,
        defaults={"email": email, "first_name": first, "last_name": last, **extra},
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user


def _staff(email: str, first: str, last: str, role: Role | None = None) -> User:
    """A staff account (the demo's shared ones are reused); `role=None` is a staff account
    without a staff role, e.g. a technical account manager."""
    user = _user(email, first, last, is_staff=True)
    if role is not None:
        user.groups.add(Group.objects.get_or_create(name=role.value)[0])
    return user


def _manager() -> User:
    return _staff("manager@supportdesk.demo", "Mona", "Manager", Role.MANAGER)


def _engineer() -> User:
    return _staff("eng@supportdesk.demo", "Erin", "Engineer", Role.ENGINEER)


def _contacts(
    tenant: Tenant, people: Iterable[tuple[str, str, str, str]], certification: str
) -> list[AuthorizedContact]:
    """Grant each (first, last, phone, country) portal access through `contact_grant`,
    login `<first>@<prefix>.demo`, from `CONTACTS_FROM`."""
    manager = _manager()
    granted = []
    for first, last, phone, country in people:
        user = _user(f"{first.lower()}@{tenant.reference_prefix.lower()}.demo", first, last)
        contact = tenant_services.contact_grant(
            actor=manager,
            tenant_id=tenant.id,
            user=user,
            certification=certification,
            phone=phone,
            certified_on=dt.date(2025, 11, 20),
            effective_from=CONTACTS_FROM,
        )
        if country:
            AuthorizedContact.objects.filter(id=contact.id).update(country=country)
        granted.append(contact)
    return granted


# --- configuration rows ---------------------------------------------------------------


def _calendar(
    name: str,
    zone: str,
    country: str,
    subdivision: str = "",
    opens: str = "09:00",
    closes: str = "17:00",
) -> Calendar:
    weekday = [[opens, closes]]
    calendar, _created = Calendar.objects.get_or_create(
        name=name,
        defaults={
            "time_zone": zone,
            "holiday_country": country,
            "holiday_subdivision": subdivision,
            "weekly_hours": {day: weekday for day in ("mon", "tue", "wed", "thu", "fri")},
        },
    )
    return calendar


def _around_the_clock() -> Calendar:
    calendar, _created = Calendar.objects.get_or_create(
        name="24×7", defaults={"time_zone": "UTC", "always_open": True, "weekly_hours": {}}
    )
    return calendar


def _priorities(plan: SupportPlan, rows: list[dict[str, object]]) -> None:
    """Each row: code, name, definition, initial_response, and any other PlanPriority field."""
    for rank, row in enumerate(rows, start=1):
        PlanPriority.objects.create(plan=plan, rank=rank, **row)


def _environments(tenant: Tenant) -> dict[int, Environment]:
    return {
        kind: Environment.objects.create(
            tenant=tenant,
            kind=kind,
            name=name,
            product=PRODUCT,
            version="2026.11",
            url=f"https://{tenant.reference_prefix.lower()}-{name.lower()}.supportdesk.demo",
        )
        for kind, name in [
            (EnvironmentKind.PRODUCTION, "Production"),
            (EnvironmentKind.SANDBOX, "Sandbox"),
        ]
    }


def _group(name: str, description: str, members: Iterable[User]) -> SupportGroup:
    group, _created = SupportGroup.objects.get_or_create(
        name=name, defaults={"description": description}
    )
    for user in members:
        GroupMembership.objects.get_or_create(group=group, user=user)
    return group


def _rule(
    plan: SupportPlan,
    order: int,
    name: str,
    group: SupportGroup,
    assign: str = AssignPolicy.NONE,
    **criteria: list,
) -> RoutingRule:
    """A routing rule limited to the plan (rules are global: without the plan criterion
    it would route every customer's cases)."""
    rule = RoutingRule.objects.create(
        order=order, name=name, group=group, assign=assign, **criteria
    )
    rule.plans.set([plan])
    return rule


def _team(tenant: Tenant, members: Iterable[tuple[str, User | None, str, str]]) -> None:
    """Account team rows: (role code, staff user or None, name, email)."""
    for role, user, name, email in members:
        AccountTeamMember.objects.create(
            tenant=tenant, role_id=role, user=user, name=name, email=email
        )


def _once(prefix: str, build: Callable[[], Tenant]) -> Tenant:
    existing = Tenant.objects.filter(reference_prefix=prefix).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        return build()


# --- A. Premier Tier (policy 000) ------------------------------------------------------


def load_premier() -> Tenant:
    """Policy 000: P1 phone only, answered at once and updated hourly around the clock;
    P2/P3 next business day; requests, questions and feature-flag requests without SLA;
    2–4 certified contacts (partners certified and counted); four regional numbers."""
    return _once("PREM", _build_premier)


def _build_premier() -> Tenant:
    calendar = _calendar("Chicago business hours", "America/Chicago", "US")
    plan = SupportPlan.objects.create(
        name="Premier Application Support",
        description="Phone or portal; 24×7 for Priority 1.",
        calendar=calendar,
        max_portal_contacts=4,
        recommended_min_contacts=2,
        partners_count_toward_limit=True,
        partners_need_certification=True,
    )
    _priorities(
        plan,
        [
            {
                "code": "P1",
                "name": "Critical",
                "definition": "The product cannot be used: production is inaccessible, or "
                "performance is so degraded across the system that it is unusable.",
                "initial_response": "immediate",
                "update_interval": "1h",
                "calendar": _around_the_clock(),
                "channel_rule": ChannelRule.PHONE_ONLY,
            },
            {
                "code": "P2",
                "name": "Significant",
                "definition": "Production can be used, but in a severely reduced capacity; "
                "part of normal business is significantly impacted.",
                "initial_response": "nbd",
                "update_interval": "2bd",
            },
            {
                "code": "P3",
                "name": "Minor",
                "definition": "A non-critical problem that impacts you but does not prevent "
                "ongoing use.",
                "initial_response": "nbd",
                "update_interval": "5bd",
            },
        ],
    )
    tenant_services.plan_categories_offer(
        plan_id=plan.id,
        sla_applies={
            "request": False,
            "question": False,
            "feature_flag_request": False,
            "functionality_issue": True,
            "performance_issue": True,
            "outage": True,
        },
    )
    for order, name in enumerate(
        ["DAM Certified badge", "Productivity Management Certified badge"], start=1
    ):
        AcceptedCertification.objects.create(plan=plan, name=name, order=order)
    for order, (region, countries, number) in enumerate(
        [
            ("Americas", ["US", "CA", "MX", "BR"], "+1 877 555 0100 (option 2)"),
            ("United Kingdom", ["GB"], "00 800 555 0100 (option 2)"),
            ("Australia", ["AU"], "0011 800 555 0100 (option 2)"),
            # Dialled after the caller's country exit code.
            ("All other regions (after your exit code)", [], "+1 414 555 0100 (option 2)"),
        ],
        start=1,
    ):
        SupportPhone.objects.create(
            plan=plan,
            region=region,
            countries=countries,
            number=number,
            hours="English, 24×7",
            order=order,
        )
    tenant = Tenant.objects.create(
        name="Premier Tier Customer",
        reference_prefix="PREM",
        plan=plan,
        time_zone="America/Chicago",
        country="US",
    )
    _environments(tenant)
    _contacts(
        tenant,
        [
            ("Paula", "Price", "+1 312 555 0110", "US"),
            ("Gareth", "Green", "+44 161 555 0110", "GB"),
        ],
        certification="DAM Certified badge",
    )
    principal = _staff("cyrus@supportdesk.demo", "Cyrus", "Principal", Role.ENGINEER)
    _team(
        tenant,
        [
            (AccountRole.CUSTOMER_SUCCESS_PRINCIPAL, principal, "", ""),
            (AccountRole.CUSTOMER_SUCCESS_DIRECTOR, None, "Dana Director", "dana@supportdesk.demo"),
            (AccountRole.SOLUTIONS_ENGINEER, None, "Sol Engineer", "sol@supportdesk.demo"),
        ],
    )
    owners = _group(
        "Product owners",
        "General application questions, answered for everyone (not configuration-specific).",
        [_staff("petra@supportdesk.demo", "Petra", "Product", Role.ENGINEER)],
    )
    _rule(plan, 10, "Premier: questions to the product owners", owners, categories=["question"])
    return tenant


# --- B. Premium Success (policy 001) ---------------------------------------------------


def load_premium_success() -> Tenant:
    """Policy 001: four severities answered in 2 business hours to 2 business days,
    business hours only (Berlin); case reasons; escalation path CSM → COO → CEO."""
    return _once("PSUC", _build_premium_success)


def _build_premium_success() -> Tenant:
    calendar = _calendar("Berlin business hours", "Europe/Berlin", "DE")
    plan = SupportPlan.objects.create(
        name="Premium Success",
        description="Target initial response from 2 hours to 2 business days, business "
        "hours only (weekends and public holidays excluded).",
        calendar=calendar,
        max_portal_contacts=4,
        recommended_min_contacts=2,
    )
    _priorities(
        plan,
        [
            {
                "code": "L1",
                "name": "Critical",
                "definition": "The service is down or a core function fails for everyone.",
                "initial_response": "2bh",
            },
            {
                "code": "L2",
                "name": "Urgent",
                "definition": "A core function fails for some users, or with no workaround.",
                "initial_response": "4bh",
            },
            {
                "code": "L3",
                "name": "High",
                "definition": "A function fails and a workaround exists.",
                "initial_response": "1bd",
            },
            {
                "code": "L4",
                "name": "Medium",
                "definition": "Questions, minor issues and cosmetic problems.",
                "initial_response": "2bd",
            },
        ],
    )
    tenant_services.plan_categories_offer(
        plan_id=plan.id,
        sla_applies={
            "bug": True,
            "question": True,
            "customization_request": False,
            "enhancement_request": False,
        },
    )
    for level, role, rise in [
        (1, AccountRole.CUSTOMER_SUCCESS_MANAGER, "4bh"),
        (2, AccountRole.COO, "1bd"),
        (3, AccountRole.CEO, "1bd"),
    ]:
        EscalationLevel.objects.create(plan=plan, level=level, role_id=role, rise_after=rise)
    tenant = Tenant.objects.create(
        name="Premium Success Customer",
        reference_prefix="PSUC",
        plan=plan,
        time_zone="Europe/Berlin",
        country="DE",
    )
    _environments(tenant)
    _contacts(
        tenant,
        [
            ("Berta", "Becker", "+49 30 5550 0110", "DE"),
            ("Bruno", "Braun", "+49 30 5550 0111", "DE"),
        ],
        certification="Administrator onboarding",
    )
    csm = _staff("csm@supportdesk.demo", "Carla", "Success", Role.ENGINEER)
    _team(
        tenant,
        [
            (AccountRole.CUSTOMER_SUCCESS_MANAGER, csm, "", ""),
            (AccountRole.COO, None, "Olga Operations", "coo@supportdesk.demo"),
            (AccountRole.CEO, None, "Chris Chief", "ceo@supportdesk.demo"),
        ],
    )
    return tenant


# --- C. High Priority (policy 002) -----------------------------------------------------


def load_high_priority() -> Tenant:
    """Policy 002: Sev1 quick in hours and reasonably prompt off hours; mail at the lowest
    severity, the technical account manager escalates at once; triage by type, severity
    and package; higher tiers first in the shared queue."""
    return _once("HIPRI", _build_high_priority)


def _build_high_priority() -> Tenant:
    calendar = _calendar("Sydney business hours", "Australia/Sydney", "AU", subdivision="NSW")
    plan = SupportPlan.objects.create(
        name="High Priority Service",
        description="Quick response in business hours, reasonably prompt off hours; "
        "priority over lower tiers in the shared queue.",
        calendar=calendar,
        max_portal_contacts=4,
        queue_precedence=10,
    )
    _priorities(
        plan,
        [
            {
                "code": "Sev1",
                "name": "Severity 1",
                "definition": "A critical system is down or unusable.",
                "initial_response": "1bh",
                "off_hours_initial_response": "4h",
                "update_interval": "4bh",
            },
            {
                "code": "Sev2",
                "name": "Severity 2",
                "definition": "A critical system is degraded; work continues with difficulty.",
                "initial_response": "4bh",
                "update_interval": "1bd",
            },
            {
                "code": "Sev3",
                "name": "Severity 3",
                "definition": "A question or a problem with little business impact.",
                "initial_response": "2bd",
                "update_interval": "5bd",
            },
        ],
    )
    offered = tenant_services.plan_categories_offer(
        plan_id=plan.id,
        sla_applies={
            "technical_problem": True,
            "billing": False,
            "enhancement_request": False,
            "general_enquiry": False,
        },
    )
    technical = offered[0].category
    IntakeField.objects.create(
        plan=plan,
        key="desired_severity",
        label="Desired severity",
        kind=IntakeField.Kind.CHOICE,
        choices="Sev1\nSev2\nSev3",
        required=True,
        help_text="The severity you ask for; we confirm it at triage.",
        order=10,
    )
    IntakeField.objects.create(
        plan=plan,
        category=technical,
        key="frequency",
        label="How often does it happen?",
        kind=IntakeField.Kind.CHOICE,
        choices="Always\nDaily\nWeekly\nOnce",
        order=20,
    )
    SupportPhone.objects.create(
        plan=plan,
        region="Contract phone line",
        countries=[],
        number="+61 2 5550 0100",
        hours="9am–5pm Mon–Fri Sydney time, as the support contract says",
    )
    tenant = Tenant.objects.create(
        name="High Priority Customer",
        reference_prefix="HIPRI",
        plan=plan,
        time_zone="Australia/Sydney",
        country="AU",
    )
    _environments(tenant)
    _contacts(
        tenant,
        [
            ("Hana", "Hughes", "+61 2 5550 0110", "AU"),
            ("Hugh", "Hall", "+61 2 5550 0111", "AU"),
        ],
        certification="Administrator training",
    )
    tam = _staff("tara@supportdesk.demo", "Tara", "Account-Manager")
    _team(tenant, [(AccountRole.TECHNICAL_ACCOUNT_MANAGER, tam, "", "")])
    engineer = _engineer()
    accounts = _group(
        "Accounts",
        "Billing enquiries.",
        [_staff("abby@supportdesk.demo", "Abby", "Accounts", Role.ENGINEER)],
    )
    tier2 = _group(
        "Tier 2",
        "Severity 1 technical problems.",
        [
            _staff("tomas@supportdesk.demo", "Tomas", "Tier-Two", Role.ENGINEER),
            _staff("tess@supportdesk.demo", "Tess", "Tier-Two", Role.ENGINEER),
        ],
    )
    engineers = _group(
        "Support engineers",
        "Everything triage does not send elsewhere.",
        [engineer, _staff("sam@supportdesk.demo", "Sam", "Support", Role.ENGINEER)],
    )
    _rule(plan, 20, "High Priority: billing to Accounts", accounts, categories=["billing"])
    _rule(
        plan,
        21,
        "High Priority: Sev1 technical problems to Tier 2",
        tier2,
        AssignPolicy.LEAST_LOADED,
        categories=["technical_problem"],
        priority_ranks=[1],
    )
    _rule(
        plan,
        29,
        "High Priority: everything else to the support engineers",
        engineers,
        AssignPolicy.ROUND_ROBIN,
    )
    return tenant


# --- D. Partner Tier (policy 003) ------------------------------------------------------


def load_partner() -> Tenant:
    """Policy 003: S1 production only; designated contacts without limit on five business
    days' notice; a partner under a letter; customization to professional services,
    enhancements to product management; the root cause asked at closure."""
    return _once("PART", _build_partner)


def _build_partner() -> Tenant:
    calendar = _calendar(
        "New York extended hours", "America/New_York", "US", opens="08:00", closes="18:00"
    )
    plan = SupportPlan.objects.create(
        name="Partner Support",
        description="Designated contacts, five business days' notice for a new one.",
        calendar=calendar,
        max_portal_contacts=None,
        recommended_min_contacts=2,
    )
    production = [EnvironmentKind.PRODUCTION.value]
    _priorities(
        plan,
        [
            {
                "code": "S1",
                "name": "Urgent",
                "definition": "Production is down or a critical function fails with no workaround.",
                "initial_response": "2bh",
                "update_interval": "4bh",
                "environments_allowed": production,
            },
            {
                "code": "S2",
                "name": "High",
                "definition": "A major function fails; a workaround may exist.",
                "initial_response": "4bh",
                "update_interval": "1bd",
            },
            {
                "code": "S3",
                "name": "Medium",
                "definition": "A minor function fails, or a problem with a workaround.",
                "initial_response": "1bd",
                "update_interval": "3bd",
            },
            {
                "code": "S4",
                "name": "Low",
                "definition": "A question or a cosmetic problem.",
                "initial_response": "2bd",
                "update_interval": "5bd",
            },
        ],
    )
    tenant_services.plan_categories_offer(
        plan_id=plan.id,
        sla_applies={
            "bug": True,
            "question": True,
            "enhancement_request": False,
            "customization_request": False,
        },
    )
    IntakeField.objects.create(
        plan=plan,
        key="root_cause",
        label="Root cause",
        kind=IntakeField.Kind.CHOICE,
        choices="Product defect\nConfiguration\nThird-party or customer-specific component\n"
        "Training\nEnvironment",
        required=True,
        stage=IntakeField.Stage.CLOSURE,
        order=10,
    )
    tenant = Tenant.objects.create(
        name="Partner Tier Customer",
        reference_prefix="PART",
        plan=plan,
        time_zone="America/New_York",
        country="US",
    )
    _environments(tenant)
    # The designated contacts of the demo were named before the notice rule below applied.
    _contacts(
        tenant,
        [
            ("Dora", "Diaz", "+1 646 555 0110", "US"),
            ("Dev", "Desai", "+1 646 555 0111", "US"),
        ],
        certification="Partner-trained administrator",
    )
    SupportPlan.objects.filter(id=plan.id).update(contact_notice_business_days=5)
    manager = _manager()
    lead = _staff("lead@supportdesk.demo", "Theo", "Triage", Role.TRIAGE_LEAD)
    partner, _created = Partner.objects.get_or_create(name="Channel Partner Ltd")
    tenant_services.partner_member_add(
        actor=manager,
        partner_id=partner.id,
        user=_user("cody@channelpartner.demo", "Cody", "Channel"),
    )
    letter = tenant_services.letter_submit(
        actor=manager,
        partner_id=partner.id,
        tenant_id=tenant.id,
        signatory_name="Dora Diaz",
        signatory_title="Director of Operations",
        signed_on=dt.date(2026, 1, 15),
    )
    tenant_services.letter_approve(actor=lead, letter_id=letter.id, note="Signed on letterhead.")
    services_group = _group(
        "Professional services",
        "Customization and development requests.",
        [_staff("pete@supportdesk.demo", "Pete", "Services", Role.ENGINEER)],
    )
    product_group = _group(
        "Product management",
        "Enhancement requests.",
        [_staff("mia@supportdesk.demo", "Mia", "Product", Role.ENGINEER)],
    )
    _rule(
        plan,
        30,
        "Partner: customization to professional services",
        services_group,
        categories=["customization_request"],
    )
    _rule(
        plan,
        31,
        "Partner: enhancement requests to product management",
        product_group,
        categories=["enhancement_request"],
    )
    return tenant


POLICIES: list[Callable[[], Tenant]] = [
    load_premier,
    load_premium_success,
    load_high_priority,
    load_partner,
]


def load_all() -> list[Tenant]:
    """Every policy's plan and tenant; those already loaded are left as they are."""
    return [load() for load in POLICIES]
