import pytest
from django.urls import reverse

from tests.factories import PASSWORD, CaseFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:cases_case_changelist",
        "admin:tenants_tenant_changelist",
        "admin:tenants_contactrequest_changelist",
        "admin:tenants_letterofauthorization_changelist",
        "admin:tenants_supportplan_changelist",
    ],
)
def test_staff_pages_open_for_the_manager(client, cast, url_name):
    client.login(username=cast.manager.username, password=PASSWORD)
    assert client.get(reverse(url_name)).status_code == 200


def test_engineer_sees_a_case_read_only_with_its_timeline(client, cast):
    case = CaseFactory(tenant=cast.tenant_a, summary="Login broken")
    client.login(username=cast.engineer.username, password=PASSWORD)
    response = client.get(reverse("admin:cases_case_change", args=[case.id]))
    assert response.status_code == 200
    assert b"Login broken" in response.content


def test_customers_cannot_open_the_staff_queue(client, cast):
    client.login(username=cast.contact_a.username, password=PASSWORD)
    response = client.get(reverse("admin:cases_case_changelist"))
    assert response.status_code == 302
