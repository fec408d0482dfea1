"""A small, realistic desk to click through: `manage.py seed_demo`.

Cases are filed and moved through the case services, so their timelines are the
same as real ones. Running it again changes nothing.
"""

import datetime as dt
from typing import NotRequired, TypedDict

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from cases import services
from cases.models import BusinessImpact, Channel, CloseReason
from knowledge import services as knowledge_services
from knowledge.models import Article, KnownIssue
from notifications.models import Announcement
from servicerequests import services as request_services
from servicerequests.handlers import REGISTRY
from servicerequests.models import RequestType
from sla.models import Calendar
from supportdesk.management import demo_policies
from supportdesk.management.demo_policies import DEMO_PASSWORD
from supportdesk.types import User
from tenants.models import (
    AccountRole,
    AccountTeamMember,
    AuthorizedContact,
    ChannelRule,
    Environment,
    EnvironmentFlag,
    EnvironmentKind,
    EscalationLevel,
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
from tenants.roles import Role
from tenants.services import plan_categories_offer

__all__ = ["DEMO_PASSWORD", "Command"]

# A priority: code, name, definition, initial response, update interval.
_Priority = tuple[str, str, str, str, str]


class _PlanSpec(TypedDict):
    max_portal_contacts: int
    calendar: str
    p1_channel_rule: NotRequired[str]
    phones: NotRequired[list[tuple[str, list[str], str, str]]]
    priorities: list[_Priority]


PLANS: dict[str, _PlanSpec] = {
    "Standard": {
        "max_portal_contacts": 2,
        "calendar": "US business hours",
        "priorities": [
            ("P1", "Critical", "Production is down or unusable; no workaround.", "nbd", "1bd"),
            ("P2", "High", "A key feature fails for many users.", "nbd", "2bd"),
            ("P3", "Normal", "A feature fails with a workaround.", "nbd", "5bd"),
            ("P4", "Low", "A question or cosmetic issue.", "2bd", "10bd"),
        ],
    },
    "Business Critical": {
        "max_portal_contacts": 3,
        "calendar": "UK business hours",
        "p1_channel_rule": ChannelRule.PORTAL_AND_PHONE,
        "phones": [
            ("All regions", [], "+44 20 7946 0000", "24×7 for P1; 8:30am–5:30pm Mon–Fri"),
        ],
        "priorities": [
            ("P1", "Critical", "Production down for all users; business stopped.", "1h", "1h"),
            ("P2", "High", "Production impaired; a key process is blocked.", "nbd", "2bd"),
            ("P3", "Normal", "Non-critical function impaired.", "nbd", "5bd"),
            ("P4", "Low", "Questions, minor issues.", "2bd", "10bd"),
        ],
    },
    "Premier": {
        "max_portal_contacts": 4,
        "calendar": "US business hours",
        "p1_channel_rule": ChannelRule.PORTAL_AND_PHONE,
        "phones": [
            ("Americas", ["US", "CA", "MX"], "+1 212 555 0100", "24×7 for P1; 9am–5pm Mon–Fri"),
            ("EMEA", [], "+44 20 7946 0100", "24×7 for P1; 9am–5pm Mon–Fri"),
        ],
        "priorities": [
            ("P1", "Critical", "Production down for all users; business stopped.", "1h", "1h"),
            ("P2", "High", "Production impaired; a key process is blocked.", "4bh", "1bd"),
            ("P3", "Normal", "Non-critical function impaired.", "nbd", "2bd"),
            ("P4", "Low", "Questions, minor issues.", "nbd", "5bd"),
        ],
    },
}

COUNTRIES = {"ACME": "US", "GLOBEX": "GB", "INIT": "US"}
TENANTS = [
    ("Acme Corporation", "ACME", "Premier", "America/New_York"),
    ("Globex Ltd", "GLOBEX", "Business Critical", "Europe/London"),
    ("Initrode Inc", "INIT", "Standard", "America/Chicago"),
]


class Command(BaseCommand):
    help = "Load a small demo desk (three tenants, contacts, a partner, cases in every state)."

    def handle(self, *args: object, **options: object) -> None:
        if Tenant.objects.filter(reference_prefix="ACME").exists():
            self.stdout.write("Demo data already loaded.")
        else:
            with transaction.atomic():
                self._load()
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        # The four source policies, one tenant each (each loaded once).
        demo_policies.load_all()
        self._print_logins()

    def _user(self, email: str, first: str, last: str, **extra: object):
        user_model = get_user_model()
        user, created = user_model.objects.get_or_create(
            username=email,
            defaults={"email": email, "first_name": first, "last_name": last, **extra},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        return user

    def _staff(self, email: str, first: str, last: str, role: Role):
        user = self._user(email, first, last, is_staff=True)
        user.groups.add(Group.objects.get_or_create(name=role.value)[0])
        return user

    def _load(self) -> None:
        calendars = {
            "US business hours": Calendar.objects.create(
                name="US business hours", time_zone="America/New_York", holiday_country="US"
            ),
            "UK business hours": Calendar.objects.create(
                name="UK business hours",
                time_zone="Europe/London",
                holiday_country="GB",
                holiday_subdivision="ENG",
                weekly_hours={
                    day: [["08:30", "12:30"], ["13:30", "17:30"]]
                    for day in ("mon", "tue", "wed", "thu", "fri")
                },
            ),
        }
        around_the_clock = Calendar.objects.create(
            name="24×7", time_zone="UTC", always_open=True, weekly_hours={}
        )
        plans = {}
        for name, spec in PLANS.items():
            plan = SupportPlan.objects.create(
                name=name,
                calendar=calendars[spec["calendar"]],
                max_portal_contacts=spec["max_portal_contacts"],
            )
            for order, (region, countries, number, hours) in enumerate(spec.get("phones", [])):
                SupportPhone.objects.create(
                    plan=plan,
                    region=region,
                    countries=countries,
                    number=number,
                    hours=hours,
                    order=order,
                )
            for rank, (code, label, definition, response, update) in enumerate(
                spec["priorities"], start=1
            ):
                PlanPriority.objects.create(
                    plan=plan,
                    code=code,
                    name=label,
                    definition=definition,
                    rank=rank,
                    initial_response=response,
                    update_interval=update,
                    calendar=around_the_clock if response == "1h" else None,
                    channel_rule=(
                        spec.get("p1_channel_rule", ChannelRule.PORTAL)
                        if rank == 1
                        else ChannelRule.PORTAL
                    ),
                )
            # Every plan offers today's eight categories (the seed of issue 16 sets its own).
            plan_categories_offer(plan_id=plan.id)
            plans[name] = plan
        tenants = {
            prefix: Tenant.objects.create(
                name=name,
                reference_prefix=prefix,
                plan=plans[plan],
                time_zone=zone,
                country=COUNTRIES[prefix],
            )
            for name, prefix, plan, zone in TENANTS
        }

        admin = self._user(
            "admin@supportdesk.demo", "Ada", "Admin", is_staff=True, is_superuser=True
        )
        engineer = self._staff("eng@supportdesk.demo", "Erin", "Engineer", Role.ENGINEER)
        self._lead = self._staff("lead@supportdesk.demo", "Theo", "Triage", Role.TRIAGE_LEAD)
        self._staff("manager@supportdesk.demo", "Mona", "Manager", Role.MANAGER)
        contacts: dict[str, User] = {}
        for prefix, first, last, cert in [
            ("ACME", "Alice", "Anders", "Certified Administrator"),
            ("ACME", "Arjun", "Acharya", "Developer Essentials"),
            ("GLOBEX", "Grace", "Gomez", "Certified Administrator"),
            ("INIT", "Ian", "Irving", "Certified Administrator"),
        ]:
            user = self._user(f"{first.lower()}@{prefix.lower()}.demo", first, last)
            AuthorizedContact.objects.create(
                tenant=tenants[prefix],
                user=user,
                certification=cert,
                certified_on=dt.date(2026, 1, 10),
                effective_from=dt.date(2026, 1, 1),
            )
            contacts.setdefault(prefix, user)
        uncertified = self._user("uma@init.demo", "Uma", "Uncertified")
        AuthorizedContact.objects.create(tenant=tenants["INIT"], user=uncertified)
        NotificationAddress.objects.create(
            tenant=tenants["ACME"], email="it-ops@acme.demo", name="Acme IT operations"
        )

        partner = Partner.objects.create(name="Northwind Consulting")
        partner_user = self._user("pat@northwind.demo", "Pat", "Partner")
        PartnerMember.objects.create(partner=partner, user=partner_user)
        LetterOfAuthorization.objects.create(
            partner=partner,
            tenant=tenants["ACME"],
            signatory_name="Alice Anders",
            signatory_title="VP Engineering",
            signed_on=dt.date(2026, 2, 3),
            status=LetterOfAuthorization.Status.ACTIVE,
            reviewed_by=admin,
        )
        LetterOfAuthorization.objects.create(
            partner=partner,
            tenant=tenants["GLOBEX"],
            signatory_name="Grace Gomez",
            signatory_title="CIO",
            signed_on=dt.date(2025, 6, 1),
            status=LetterOfAuthorization.Status.RESCINDED,
            reviewed_by=admin,
            rescinded_by=contacts["GLOBEX"],
            rescinded_at=timezone.now() - dt.timedelta(days=30),
            rescission_reason="Contract with Northwind ended on 31 October.",
        )

        self._cases(tenants, contacts, partner_user, engineer)
        self._knowledge_and_announcements(admin)
        self._accounts_and_requests(plans, tenants, contacts, engineer)

    def _accounts_and_requests(self, plans, tenants, contacts, engineer) -> None:
        """Environments and their flags, account teams and escalation paths, the request
        catalogue, and a few requests filed and worked through the services."""
        environments = {}
        for prefix, name, kind, version in [
            ("ACME", "Production", EnvironmentKind.PRODUCTION, "2026.10"),
            ("ACME", "UAT sandbox", EnvironmentKind.SANDBOX, "2026.11"),
            ("ACME", "QA", EnvironmentKind.TEST, "2026.11"),
            ("GLOBEX", "Production", EnvironmentKind.PRODUCTION, "2026.10"),
            ("GLOBEX", "Sandbox", EnvironmentKind.SANDBOX, "2026.10"),
            ("INIT", "Production", EnvironmentKind.PRODUCTION, "2026.9"),
        ]:
            environments[(prefix, name)] = Environment.objects.create(
                tenant=tenants[prefix],
                kind=kind,
                name=name,
                product="SupportDesk Cloud",
                version=version,
                url=f"https://{prefix.lower()}-{name.split()[0].lower()}.supportdesk.demo",
                ip_allowlist=["81.2.69.160/28"] if kind == EnvironmentKind.PRODUCTION else [],
            )
        flags = {
            key: ProductFlag.objects.create(
                product="SupportDesk Cloud", key=key, name=name, description=description
            )
            for key, name, description in [
                ("new-editor", "New rich-text editor", "The 2027 editor with tables and mentions."),
                ("bulk-export", "Bulk export API", "Exports of more than 100,000 rows."),
                ("ai-summaries", "Case summaries", "Suggested summaries of long threads."),
            ]
        }
        EnvironmentFlag.objects.create(
            environment=environments[("ACME", "UAT sandbox")],
            flag=flags["new-editor"],
            enabled=True,
        )
        catalogue = {
            "feature_flags": ("Feature flag enablement", False),
            "sandbox_refresh": ("Sandbox refresh", False),
            "ip_allowlist": ("IP allowlist update", True),
            "sso_certificate": ("SSO certificate update", True),
            "connector_installer": ("Connector installer", False),
            "security_testing": ("Security testing authorization", False),
        }
        for position, (code, (name, sla)) in enumerate(catalogue.items()):
            request_type = RequestType.objects.create(
                code=code,
                name=name,
                description=REGISTRY[code].description,
                sla_applies=sla,
                response_target="1bd",
                position=position,
            )
            offered = plans.values() if code != "security_testing" else [plans["Premier"]]
            request_type.plans.set(offered)

        security = self._staff("security@supportdesk.demo", "Sasha", "Secure", Role.SECURITY)
        csm = self._staff("csm@supportdesk.demo", "Carla", "Success", Role.ENGINEER)
        for prefix in ("ACME", "GLOBEX"):
            tenant = tenants[prefix]
            AccountTeamMember.objects.create(
                tenant=tenant,
                role_id=AccountRole.CUSTOMER_SUCCESS_MANAGER,
                user=csm,
                phone="+1 212 555 0142",
            )
            AccountTeamMember.objects.create(
                tenant=tenant,
                role_id=AccountRole.CUSTOMER_SUCCESS_DIRECTOR,
                name="Dana Director",
                email="dana.director@supportdesk.demo",
            )
            AccountTeamMember.objects.create(
                tenant=tenant,
                role_id=AccountRole.SOLUTIONS_ENGINEER,
                name="Sol Engineer",
                email="sol@supportdesk.demo",
            )
            for role, name, email in [
                (AccountRole.COO, "Olga Operations", "coo@supportdesk.demo"),
                (AccountRole.CEO, "Chris Chief", "ceo@supportdesk.demo"),
            ]:
                AccountTeamMember.objects.create(
                    tenant=tenant, role_id=role, name=name, email=email, shown_in_portal=False
                )
        for level, role, rise in [
            (1, AccountRole.CUSTOMER_SUCCESS_MANAGER, "4bh"),
            (2, AccountRole.COO, "1bd"),
            (3, AccountRole.CEO, "1bd"),
        ]:
            EscalationLevel.objects.create(
                plan=plans["Premier"], level=level, role_id=role, rise_after=rise
            )

        alice = contacts["ACME"]
        flags_request = request_services.service_request_submit(
            actor=alice,
            tenant_id=tenants["ACME"].id,
            type_code="feature_flags",
            data={
                "environment": environments[("ACME", "UAT sandbox")].id,
                "flags": [flags["bulk-export"].id],
                "reason": "Nightly exports to our data warehouse.",
            },
        )
        request_services.service_request_start(actor=engineer, request_id=flags_request.id)
        request_services.service_request_submit(
            actor=alice,
            tenant_id=tenants["ACME"].id,
            type_code="sandbox_refresh",
            data={"environment": environments[("ACME", "UAT sandbox")].id},
        )
        starts = timezone.localdate() + dt.timedelta(days=7)
        security_request = request_services.service_request_submit(
            actor=alice,
            tenant_id=tenants["ACME"].id,
            type_code="security_testing",
            data={
                "environment": environments[("ACME", "Production")].id,
                "scope": "https://acme-production.supportdesk.demo: authenticated web test",
                "starts_on": starts.isoformat(),
                "ends_on": (starts + dt.timedelta(days=4)).isoformat(),
                "testing_organisation": "Redteam Ltd",
                "contact_name": "Rita Red",
                "contact_email": "rita@redteam.demo",
            },
        )
        request_services.service_request_start(actor=engineer, request_id=security_request.id)
        for step, actor in [
            ("review", engineer),
            ("security_approval", security),
            ("security_sign_off", security),
        ]:
            request_services.service_request_step_done(
                actor=actor, request_id=security_request.id, step_code=step, note="Demo."
            )

    def _cases(self, tenants, contacts, partner_user, engineer) -> None:
        def file(prefix: str, summary: str, **extra: object):
            data = {
                "actor": contacts[prefix],
                "tenant_id": tenants[prefix].id,
                "summary": summary,
                "category": "bug",
                "priority": "P3",
                "environment_access": "granted",
                "product": "SupportDesk Cloud",
                "product_version": "2026.10",
                "browsers": "Chrome 130, Firefox 131",
            }
            data.update(extra)
            return services.case_create(**data)

        def take(case):
            return services.case_assign(case_id=case.id, actor=engineer, owner=engineer)

        file(
            "ACME",
            "Checkout page returns 500 for EU customers",
            priority="P1",
            category="outage",
            business_impact=BusinessImpact.CRITICAL,
            users_affected=1200,
            steps_to_reproduce="1. Set country to Germany\n2. Add any item\n3. Click Pay",
            expected_result="Order confirmation",
            actual_result="HTTP 500 page",
        )
        file(
            "ACME",
            "How do I rotate the API signing key?",
            category="question",
            priority="P4",
            actor=partner_user,
        )
        working = take(
            file(
                "GLOBEX",
                "Nightly export misses rows added after 23:00",
                category="functionality_issue",
                priority="P2",
                environment=EnvironmentKind.PRODUCTION,
            )
        )
        services.case_comment(
            case_id=working.id,
            actor=engineer,
            body="Thanks, Grace. We can reproduce this and are checking the export window.",
        )
        waiting = take(file("INIT", "Dashboard charts load slowly", category="performance_issue"))
        services.case_request_info(
            case_id=waiting.id,
            actor=engineer,
            body="Could you send a HAR file of a slow page load, and the time it happened?",
        )
        proposed = take(file("ACME", "SSO login loops back to the sign-in page", priority="P2"))
        services.case_propose_solution(
            case_id=proposed.id,
            actor=engineer,
            body="The IdP clock is 6 minutes ahead; please enable NTP on the IdP host.",
        )
        resolved = take(file("GLOBEX", "Typo in the invoice footer", priority="P4"))
        services.case_propose_solution(
            case_id=resolved.id, actor=engineer, body="Fixed in release 2026.10.2."
        )
        resolved = services.case_accept_solution(case_id=resolved.id, actor=contacts["GLOBEX"])
        services.case_answer_survey(
            token=services.survey_token(resolved),
            service=5,
            timeliness=4,
            quality=5,
            comment="Quick fix, thank you.",
        )
        duplicate = take(file("INIT", "Export fails", channel=Channel.EMAIL))
        services.case_close(
            case_id=duplicate.id,
            actor=engineer,
            reason=CloseReason.DUPLICATE,
            note="Same root cause as INIT-00001; we continue there.",
        )
        services.case_create_known_issue(
            case_id=working.id,
            actor=engineer,
            title="Nightly export skips rows written after 23:00 UTC",
            public_summary="Rows added in the last hour before the nightly export are missing "
            "from it. Workaround: run the export manually after midnight.",
            stage="in_development",
        )
        services.case_escalate(
            case_id=working.id,
            actor=engineer,
            reason="Globex's month-end close depends on this export.",
        )
        article = knowledge_services.article_create(
            actor=engineer,
            title="Rotating the API signing key",
            summary="Replace the key without downtime.",
            body="Open Settings > Security > API keys, choose Rotate, and deploy the new key "
            "within 24 hours; the old key keeps working until then.",
        )
        knowledge_services.article_publish(article_id=article.id, actor=self._lead)

    def _knowledge_and_announcements(self, admin) -> None:
        now = timezone.now()
        Article.objects.create(
            title="Rotating the API signing key",
            slug="rotate-api-signing-key",
            summary="Create a new key, deploy it, then retire the old one without downtime.",
            body="1. Open Settings > API keys and create a new signing key.\n"
            "2. Deploy it to your services; both keys are accepted for 24 hours.\n"
            "3. Retire the old key.",
            product="SupportDesk Cloud",
            is_published=True,
            published_at=now,
            author=admin,
        )
        Article.objects.create(
            title="Fixing SSO login loops",
            slug="sso-login-loops",
            summary="A sign-in that returns to the login page usually means the IdP clock drifts.",
            body="Check that the identity provider's clock is synchronised (NTP). SAML "
            "assertions are refused when the clock is more than 3 minutes off.",
            product="SupportDesk Cloud",
            is_published=True,
            published_at=now,
            author=admin,
        )
        export_issue = KnownIssue.objects.create(
            title="Export to CSV times out for more than 100,000 rows",
            public_summary="Large exports stop after 60 seconds. Workaround: filter by month "
            "and export each month separately.",
            product="SupportDesk Cloud",
            stage=KnownIssue.Stage.IN_DEVELOPMENT,
            target_date=(now + dt.timedelta(days=21)).date(),
            created_by=admin,
        )
        # Its public history starts here (the help centre lists it on the issue's page).
        knowledge_services.known_issue_history_record(export_issue)
        Announcement.objects.create(
            kind=Announcement.Kind.MAINTENANCE,
            title="Database upgrade",
            body="The portal and API are read-only for up to 30 minutes while we upgrade "
            "the database. Cases filed by email are queued and arrive afterwards.",
            affected_products=["SupportDesk Cloud", "API"],
            starts_at=now + dt.timedelta(days=3, hours=2),
            ends_at=now + dt.timedelta(days=3, hours=3),
            published=True,
        )
        Announcement.objects.create(
            kind=Announcement.Kind.RELEASE,
            title="Release 2026.11",
            body="Faster exports, SSO certificate rotation without downtime, and 14 fixes.",
            affected_products=["SupportDesk Cloud"],
            starts_at=now - dt.timedelta(days=2),
            published=True,
        )
        Announcement.objects.create(
            kind=Announcement.Kind.INCIDENT,
            title="Delayed email notifications",
            body="Notification emails were delayed by up to 40 minutes. All queued mail "
            "has been delivered.",
            affected_products=["Notifications"],
            starts_at=now - dt.timedelta(days=1, hours=3),
            ends_at=now - dt.timedelta(days=1, hours=2),
            published=True,
        )

    def _print_logins(self) -> None:
        self.stdout.write(
            "\nDemo logins (password for all: "
            f"{DEMO_PASSWORD}):\n"
            "  staff admin (superuser)  admin@supportdesk.demo    /admin/\n"
            "  support engineer         eng@supportdesk.demo      /admin/\n"
            "  triage lead              lead@supportdesk.demo     /admin/\n"
            "  support manager          manager@supportdesk.demo  /admin/\n"
            "  security (signs testing) security@supportdesk.demo /admin/\n"
            "  customer success manager csm@supportdesk.demo      /admin/\n"
            "Portal (customers and partners) at /, staff queue at /admin/.\n"
            "  customer, Acme (Premier) alice@acme.demo\n"
            "  customer, Globex         grace@globex.demo\n"
            "  customer, Initrode       ian@init.demo\n"
            "  uncertified contact      uma@init.demo  (no portal access)\n"
            "  partner (letter for Acme active, Globex rescinded)  pat@northwind.demo\n"
            "The four source policies (README, 'The four source policies'):\n"
        )
        for who, login in demo_policies.LOGINS:
            self.stdout.write(f"  {who:<40} {login}")
