"""Presence on a case (cases/presence.py) is for staff who may see the case: nobody else
reaches the endpoint, learns who is on a case, or appears on a colleague's page."""

import pytest
from django.test import Client
from django.urls import reverse

from cases.presence import presence_list, presence_touch
from tenants.roles import Role
from tests.cases.helpers import file_case
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

OUTSIDERS = ("contact_a", "contact_b", "partner_with_letter", "partner_without_letter")


def _client(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def _presence(case) -> str:
    return reverse("admin:cases_case_presence", args=[case.id])


@pytest.mark.parametrize("role", OUTSIDERS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_customers_and_partners_are_sent_to_the_staff_sign_in_and_never_recorded(
    cast, role, method
):
    case = file_case(cast)
    presence_touch(case, cast.engineer, typing=True)
    response = getattr(_client(getattr(cast, role)), method)(_presence(case), {"typing": "1"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert cast.engineer.get_username() not in response.content.decode()
    assert [p.user_id for p in presence_list(case, cast.manager)] == [cast.engineer.id]


def test_anonymous_is_sent_to_the_staff_sign_in(cast):
    case = file_case(cast)
    response = Client().get(_presence(case))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_staff_without_a_role_may_not_see_the_case_nor_who_is_on_it(cast):
    case = file_case(cast)
    presence_touch(case, cast.engineer)
    nora = UserFactory(username="nora@support.test", second_step=True)
    nora.is_staff = True
    nora.save(update_fields=["is_staff"])
    client = _client(nora)
    for response in (client.get(_presence(case)), client.post(_presence(case), {"typing": "1"})):
        assert response.status_code in {403, 404}
        assert cast.engineer.get_full_name() not in response.content.decode()
    assert [p.user_id for p in presence_list(case, cast.manager)] == [cast.engineer.id]


def test_security_sees_who_is_here_but_never_shows_as_typing(cast):
    security = UserFactory(username="sam@support.test", roles=[Role.SECURITY])
    case = file_case(cast)
    response = _client(security).post(_presence(case), {"typing": "1"})
    assert response.status_code == 200
    (seen,) = presence_list(case, cast.engineer)
    assert (seen.user_id, seen.typing) == (security.id, False)


def test_an_unknown_case_is_404_and_records_nothing(cast):
    client = _client(cast.engineer)
    assert client.get(reverse("admin:cases_case_presence", args=[987654])).status_code == 404
    assert client.get("/admin/cases/case/abc/presence/").status_code == 404


def test_portal_case_page_never_shows_staff_presence(cast):
    case = file_case(cast)
    presence_touch(case, cast.engineer, typing=True)
    for role in ("contact_a", "partner_with_letter"):
        response = _client(getattr(cast, role)).get(reverse("portal:case", args=[case.reference]))
        assert response.status_code == 200
        html = response.content.decode()
        assert "Also here" not in html
        assert "typing a reply" not in html
        assert cast.engineer.get_full_name() not in html
        assert "presence" not in html
