"""A small, realistic desk to click through: `manage.py seed_demo`.

Cases are filed and moved through the case services, so their timelines are the
same as real ones. Running it again changes nothing.
"""

import datetime as dt

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from cases import services
from cases.models import BusinessImpact, Channel, CloseReason, EnvironmentKind
from knowledge import services as knowledge_services
from sla.models import Calendar
from tenants.models import (
    AuthorizedContact,
    LetterOfAuthorization,
    NotificationAddress,
    Partner,
    PartnerMember,
    PlanPriority,
    SupportPlan,
    Tenant,
)
from tenants.roles import Role

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - printed for the demo on purpose

PLANS = {
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
        "phone_for_critical": True,
        "support_phone": "+44 20 7946 0000",
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
        "phone_for_critical": True,
        "support_phone": "+1 212 555 0100",
        "priorities": [
            ("P1", "Critical", "Production down for all users; business stopped.", "1h", "1h"),
            ("P2", "High", "Production impaired; a key process is blocked.", "4bh", "1bd"),
            ("P3", "Normal", "Non-critical function impaired.", "nbd", "2bd"),
            ("P4", "Low", "Questions, minor issues.", "nbd", "5bd"),
        ],
    },
}

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
                phone_for_critical=spec.get("phone_for_critical", False),
                support_phone=spec.get("support_phone", ""),
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
                )
            plans[name] = plan
        tenants = {
            prefix: Tenant.objects.create(
                name=name, reference_prefix=prefix, plan=plans[plan], time_zone=zone
            )
            for name, prefix, plan, zone in TENANTS
        }

        admin = self._user(
            "admin@supportdesk.demo", "Ada", "Admin", is_staff=True, is_superuser=True
        )
        engineer = self._staff("eng@supportdesk.demo", "Erin", "Engineer", Role.ENGINEER)
        self._lead = self._staff("lead@supportdesk.demo", "Theo", "Triage", Role.TRIAGE_LEAD)
        self._staff("manager@supportdesk.demo", "Mona", "Manager", Role.MANAGER)
        contacts = {}
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
            rescission_reason="Contract with Northwind ended on 31 October.",
        )

        self._cases(tenants, contacts, partner_user, engineer)

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
        services.case_accept_solution(case_id=resolved.id, actor=contacts["GLOBEX"])
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

    def _print_logins(self) -> None:
        self.stdout.write(
            "\nDemo logins (password for all: "
            f"{DEMO_PASSWORD}):\n"
            "  staff admin (superuser)  admin@supportdesk.demo    /admin/\n"
            "  support engineer         eng@supportdesk.demo      /admin/\n"
            "  triage lead              lead@supportdesk.demo     /admin/\n"
            "  support manager          manager@supportdesk.demo  /admin/\n"
            "  customer, Acme (Premier) alice@acme.demo\n"
            "  customer, Globex         grace@globex.demo\n"
            "  customer, Initrode       ian@init.demo\n"
            "  uncertified contact      uma@init.demo  (no portal access)\n"
            "  partner (letter for Acme active, Globex rescinded)  pat@northwind.demo\n"
        )
