"""Shared steps of the policy tests: each test loads one policy's demo data
(`supportdesk.management.demo_policies`) at a fixed moment and files cases through the
services at moments of its own. Expected due times are written out by hand from the
source document, never read back from the seeded plan."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model

from cases import services
from cases.models import Case
from supportdesk.types import User
from tenants.models import Tenant
from tenants.roles import Role
from tests.factories import UserFactory

# The demo is loaded on Thu 1 Oct 2026 at noon UTC: before every case of the tests.
LOADED_AT = dt.datetime(2026, 10, 1, 12, 0, tzinfo=dt.UTC)


def local(zone: str, year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A wall-clock moment in `zone`."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone))


def demo_login(tenant: Tenant, first: str) -> User:
    """The demo contact `<first>@<prefix>.demo`."""
    return get_user_model().objects.get(
        username=f"{first.lower()}@{tenant.reference_prefix.lower()}.demo"
    )


def engineer(username: str = "erin.policy@vendor.test") -> User:
    return UserFactory(username=username, roles=[Role.ENGINEER])


def file(tenant: Tenant, actor: User, **overrides: object) -> Case:
    """A case filed through `case_create` as the portal files it; `overrides` are
    `case_create`'s own arguments."""
    data: dict[str, object] = {
        "actor": actor,
        "tenant_id": tenant.id,
        "summary": "Reports fail to load",
        "environment_access": "granted",
    }
    data.update(overrides)
    return services.case_create(**data)  # type: ignore[arg-type]


def fresh(case: Case) -> Case:
    return Case.objects.get(id=case.id)
