"""The Security role stands outside the engineer → lead → manager chain."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from cases.services import case_comment
from supportdesk.errors import NotPermitted
from tenants.access import tenants_for
from tenants.roles import Role, has_role, is_support_staff
from tests.factories import CaseFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_security_is_held_only_by_its_members_and_superusers(cast):
    officer = UserFactory(username="sec@support.test", roles=[Role.SECURITY])
    admin = UserFactory(username="root@support.test", is_staff=True, is_superuser=True)
    assert has_role(officer, Role.SECURITY)
    assert has_role(admin, Role.SECURITY)
    assert not has_role(cast.manager, Role.SECURITY)
    assert not has_role(officer, Role.ENGINEER)
    assert is_support_staff(officer)
    assert set(tenants_for(officer)) == {cast.tenant_a, cast.tenant_b}


def test_migrate_creates_the_security_group_with_view_and_request_rights():
    group = Group.objects.get(name=Role.SECURITY.value)
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert "change_servicerequest" in codenames
    assert "view_case" in codenames
    assert "change_case" not in codenames


def test_security_sees_a_case_page_without_buttons_to_work_it(client, cast):
    officer = UserFactory(username="sec@support.test", roles=[Role.SECURITY])
    case = CaseFactory(tenant=cast.tenant_a, reporter=cast.contact_a)
    assert not list(case.get_available_user_state_transitions(officer))
    client.force_login(officer)
    response = client.get(reverse("admin:cases_case_change", args=[case.id]))
    assert response.status_code == 200
    assert "Close with a reason" not in response.content.decode()
    assert case.reference in response.content.decode()


def test_security_cannot_reply_or_add_notes_to_a_case(cast):
    officer = UserFactory(username="sec@support.test", roles=[Role.SECURITY])
    case = CaseFactory(tenant=cast.tenant_a, reporter=cast.contact_a)
    for public in (True, False):
        with pytest.raises(NotPermitted):
            case_comment(case_id=case.id, actor=officer, body="Looks fine.", public=public)
    assert not case.comments.exists()
    case.refresh_from_db()
    assert case.first_responded_at is None
