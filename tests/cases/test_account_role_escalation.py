"""Account roles as data: a staff user on a tenant's account team in a role that may
escalate at once (the technical account manager) escalates that tenant's cases to the
support managers, and raises their priority, whatever their staff role; everyone else
keeps today's rules. `tenants.access.may_escalate_immediately` is the one answer."""

import pytest

from cases import services
from cases.models import CaseEvent
from notifications.models import Notification
from supportdesk.errors import InvalidInput, NotPermitted
from tenants.access import may_escalate_immediately
from tenants.models import AccountRole
from tenants.roles import Role
from tests.cases.helpers import file_case, fresh
from tests.factories import AccountTeamMemberFactory, UserFactory

pytestmark = pytest.mark.django_db


def _staff(username: str, roles: list[Role] | None = None):
    user = UserFactory(username=username, roles=roles or [])
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


@pytest.fixture
def tam(cast):
    """Tess: a staff account without a staff role, Acme's technical account manager."""
    user = _staff("tess@vendor.test")
    AccountTeamMemberFactory(
        tenant=cast.tenant_a, role=AccountRole.TECHNICAL_ACCOUNT_MANAGER, user=user
    )
    return user


@pytest.fixture
def case(cast):
    return file_case(cast, priority="P4")


def test_the_technical_account_manager_escalates_and_raises_the_priority_at_once(
    cast, tam, case, django_capture_on_commit_callbacks
):
    services.case_escalate(
        case_id=case.id, actor=tam, reason="Board demo tomorrow; this blocks it.", priority="P1"
    )
    case = fresh(case)
    assert (case.priority, case.is_escalated, case.escalated_by) == ("P1", True, tam)
    kinds = list(case.events.order_by("id").values_list("kind", flat=True))
    assert kinds[-2:] == [CaseEvent.Kind.PRIORITY_CHANGED, CaseEvent.Kind.ESCALATED]
    escalated = case.events.get(kind=CaseEvent.Kind.ESCALATED)
    assert escalated.data["by_account_team"] is True
    # The support managers hear of it now.
    assert Notification.objects.filter(
        event="case.escalated", recipient=cast.manager.email
    ).exists()


def test_the_technical_account_manager_may_raise_but_not_lower_a_priority(cast, tam, case):
    services.case_change_priority(case_id=case.id, actor=tam, priority="P2", reason="Outage")
    assert fresh(case).priority == "P2"
    with pytest.raises(NotPermitted, match="raise a case's priority, not lower it"):
        services.case_change_priority(case_id=case.id, actor=tam, priority="P3", reason="Calm")
    assert fresh(case).priority == "P2"


def test_the_technical_account_manager_of_another_customer_is_refused(cast, case):
    other = _staff("otto@vendor.test")
    AccountTeamMemberFactory(
        tenant=cast.tenant_b, role=AccountRole.TECHNICAL_ACCOUNT_MANAGER, user=other
    )
    assert not may_escalate_immediately(other, cast.tenant_a.id)
    with pytest.raises(NotPermitted):
        services.case_escalate(case_id=case.id, actor=other, reason="Please")
    assert not fresh(case).is_escalated


def test_a_customer_success_manager_without_a_staff_role_keeps_todays_refusal(cast, case):
    """The CSM role does not say "may escalate at once": a role-less staff CSM is refused."""
    csm = _staff("carla@vendor.test")
    AccountTeamMemberFactory(
        tenant=cast.tenant_a, role=AccountRole.CUSTOMER_SUCCESS_MANAGER, user=csm
    )
    assert not may_escalate_immediately(csm, cast.tenant_a.id)
    with pytest.raises(NotPermitted, match="Only a support engineer"):
        services.case_escalate(case_id=case.id, actor=csm, reason="Please")
    with pytest.raises(NotPermitted):
        services.case_change_priority(case_id=case.id, actor=csm, priority="P1", reason="Now")
    assert (fresh(case).priority, fresh(case).is_escalated) == ("P4", False)


def test_a_role_given_the_right_in_the_admin_data_may_escalate_at_once(cast, case):
    csm = _staff("carla@vendor.test")
    AccountTeamMemberFactory(
        tenant=cast.tenant_a, role=AccountRole.CUSTOMER_SUCCESS_MANAGER, user=csm
    )
    AccountRole.objects.filter(code=AccountRole.CUSTOMER_SUCCESS_MANAGER).update(
        can_escalate_immediately=True
    )
    services.case_escalate(case_id=case.id, actor=csm, reason="Key account")
    assert fresh(case).is_escalated


def test_a_deactivated_or_non_staff_account_team_member_is_refused(cast, tam, case):
    tam.is_active = False
    tam.save(update_fields=["is_active"])
    assert not may_escalate_immediately(tam, cast.tenant_a.id)
    # A contact is never on the account team's side, whatever a row says.
    AccountTeamMemberFactory(
        tenant=cast.tenant_b, role=AccountRole.TECHNICAL_ACCOUNT_MANAGER, user=cast.contact_b
    )
    assert not may_escalate_immediately(cast.contact_b, cast.tenant_b.id)


def test_engineers_keep_todays_rules_and_may_only_raise_through_an_escalation(cast, case):
    with pytest.raises(InvalidInput, match="may only raise"):
        services.case_escalate(case_id=case.id, actor=cast.engineer, reason="x", priority="P4")
    services.case_escalate(case_id=case.id, actor=cast.engineer, reason="Angry customer")
    assert (fresh(case).priority, fresh(case).is_escalated) == ("P4", True)
    services.case_change_priority(case_id=case.id, actor=cast.engineer, priority="P3", reason="x")
    assert fresh(case).priority == "P3"
