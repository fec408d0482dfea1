"""The audit log × every kind of person: who reads the list, an entry and the export, and
that nobody adds, changes or deletes an entry (not even a superuser). Every cell checks
the status and that the log is as it was (a permitted export adds its own entry only)."""

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEntry
from tenants.roles import Role
from tests.cases.helpers import file_case
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

READERS = {"manager", "security", "superuser"}
STAFF_REFUSED = {"engineer", "triage_lead"}
CUSTOMERS = {"anonymous", "contact_a", "contact_b", "partner_with_letter"}
PEOPLE = sorted(READERS | STAFF_REFUSED | CUSTOMERS)


def person(cast, name: str):
    if name == "security":
        return UserFactory(username="sid@support.test", roles=[Role.SECURITY])
    if name == "superuser":
        return UserFactory(username="root@support.test", is_staff=True, is_superuser=True)
    return None if name == "anonymous" else getattr(cast, name)


def the_log() -> list[tuple]:
    return list(AuditEntry.objects.order_by("id").values_list("id", "action", "changes", "actor"))


@pytest.fixture
def logged(cast) -> AuditEntry:
    file_case(cast)
    return AuditEntry.objects.filter(tenant=cast.tenant_a).first()


def client_of(cast, name: str) -> Client:
    client = Client()
    user = person(cast, name)
    if user is not None:
        client.force_login(user)
    return client


def expected_reading(name: str, response) -> None:
    if name in READERS:
        assert response.status_code == 200
    elif name in STAFF_REFUSED:
        assert response.status_code == 403
    else:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("name", PEOPLE)
@pytest.mark.parametrize("page", ["list", "entry"])
def test_reading_the_log(cast, logged, name, page):
    url = (
        reverse("admin:audit_auditentry_changelist")
        if page == "list"
        else reverse("admin:audit_auditentry_change", args=[logged.pk])
    )
    client = client_of(cast, name)
    before = the_log()
    response = client.get(url)
    expected_reading(name, response)
    assert the_log() == before


@pytest.mark.parametrize("name", PEOPLE)
def test_exporting_the_log(cast, logged, name):
    client = client_of(cast, name)
    before = the_log()
    response = client.get(
        reverse("admin:audit_auditentry_export"), {"tenant__id__exact": cast.tenant_a.id}
    )
    expected_reading(name, response)
    after = the_log()
    if name in READERS:
        b"".join(response.streaming_content)
        assert after[: len(before)] == before
        (added,) = after[len(before) :]
        assert added[1] == AuditEntry.Action.EXPORT
    else:
        assert after == before


@pytest.mark.parametrize("name", PEOPLE)
@pytest.mark.parametrize("write", ["add", "change", "delete"])
def test_nobody_writes_the_log(cast, logged, name, write):
    urls = {
        "add": reverse("admin:audit_auditentry_add"),
        "change": reverse("admin:audit_auditentry_change", args=[logged.pk]),
        "delete": reverse("admin:audit_auditentry_delete", args=[logged.pk]),
    }
    data = {"post": "yes", "verb": "forged", "object_repr": "forged", "action": 0}
    client = client_of(cast, name)
    before = the_log()
    response = client.post(urls[write], data)
    if name in CUSTOMERS:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
    else:
        assert response.status_code == 403
    assert the_log() == before


def test_the_api_has_no_way_to_the_log():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert not [path for path in schema["paths"] if "audit" in path]
