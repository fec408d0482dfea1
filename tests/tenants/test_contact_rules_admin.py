"""The contact rules and account roles in the admin: a manager edits them on the plan (the
accepted certifications inline), grants and partner members go through their services and
come back with the service's refusal, and account roles are rows a manager keeps."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from tenants.access import can_act_for
from tenants.models import AcceptedCertification, AccountRole, AuthorizedContact, PartnerMember
from tests.cases.helpers import plan_form_data
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

DAM = "Aprimo DAM Certified"


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_a_manager_sets_the_contact_rules_and_certifications_on_the_plan(client, cast):
    plan = cast.tenant_a.plan
    client.force_login(cast.manager)
    data = plan_form_data(plan)
    data.update(
        {
            "max_portal_contacts": "",  # no limit
            "recommended_min_contacts": 2,
            "contact_notice_business_days": 5,
            "partners_count_toward_limit": "on",
            "partners_need_certification": "on",
            "accepted_certifications-TOTAL_FORMS": 2,
            "accepted_certifications-0-name": DAM,
            "accepted_certifications-0-order": 0,
            "accepted_certifications-1-name": "Certified Administrator",
            "accepted_certifications-1-order": 1,
        }
    )
    response = client.post(reverse("admin:tenants_supportplan_change", args=[plan.id]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    plan.refresh_from_db()
    assert plan.max_portal_contacts is None
    assert (plan.recommended_min_contacts, plan.contact_notice_business_days) == (2, 5)
    assert plan.partners_count_toward_limit
    assert plan.partners_need_certification
    assert plan.accepted_certification_names == [DAM, "Certified Administrator"]
    # Ann holds the second: she keeps access; the partner member has none recorded.
    assert can_act_for(cast.contact_a, cast.tenant_a.id)
    assert not can_act_for(cast.partner_with_letter, cast.tenant_a.id)


def test_the_plan_list_says_no_limit(client, cast):
    cast.tenant_a.plan.max_portal_contacts = None
    cast.tenant_a.plan.save()
    client.force_login(cast.manager)
    html = client.get(reverse("admin:tenants_supportplan_changelist")).content.decode()
    assert "no limit" in html


def test_a_staff_grant_offers_the_plans_certifications_and_refuses_others(client, cast):
    AcceptedCertification.objects.create(plan=cast.tenant_a.plan, name=DAM)
    AcceptedCertification.objects.create(plan=cast.tenant_a.plan, name="Certified Administrator")
    client.force_login(cast.engineer)
    contact = cast.contact_a.contacts.get()
    page = client.get(reverse("admin:tenants_authorizedcontact_change", args=[contact.id]))
    html = page.content.decode()
    assert '<select name="certification"' in html
    assert f'<option value="{DAM}">' in html
    added = client.get(reverse("admin:tenants_authorizedcontact_add")).content.decode()
    assert f'<option value="{DAM}">' in added  # suggested before the customer is chosen

    newcomer = UserFactory(username="nina@acme.test")
    response = client.post(
        reverse("admin:tenants_authorizedcontact_add"),
        {
            "tenant": cast.tenant_a.id,
            "user": newcomer.id,
            "certification": "Watched a webinar",
            "phone": "",
        },
    )
    assert any(DAM in message for message in _messages(response))
    assert not AuthorizedContact.objects.filter(user=newcomer).exists()


def test_a_manager_adds_a_partner_member_within_the_limit_only(client, cast):
    cast.tenant_a.plan.partners_count_toward_limit = True
    cast.tenant_a.plan.save()
    client.force_login(cast.manager)
    newcomer = UserFactory(username="pia@initech.test")
    add = reverse("admin:tenants_partnermember_add")
    form = {"partner": cast.partner.id, "user": newcomer.id, "is_active": "on"}
    response = client.post(add, form)
    assert any("would pass the limit" in message for message in _messages(response))
    assert not PartnerMember.objects.filter(user=newcomer).exists()

    cast.tenant_a.plan.max_portal_contacts = 3
    cast.tenant_a.plan.save()
    response = client.post(add, {**form, "certification": DAM})
    assert response.status_code == 302
    assert PartnerMember.objects.get(user=newcomer).certification == DAM


def test_a_manager_records_a_partner_members_certification(client, cast):
    member = cast.partner_with_letter.partner_membership
    client.force_login(cast.manager)
    response = client.post(
        reverse("admin:tenants_partnermember_change", args=[member.id]),
        {"is_active": "on", "certification": DAM, "certified_on": "2026-05-01"},
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.certification, str(member.certified_on)) == (DAM, "2026-05-01")


def test_a_manager_adds_an_account_role_that_may_escalate_at_once(client, cast):
    client.force_login(cast.manager)
    response = client.post(
        reverse("admin:tenants_accountrole_add"),
        {
            "code": "escalation_manager",
            "name": "Escalation manager",
            "description": "Owns critical situations.",
            "can_escalate_immediately": "on",
            "shown_in_portal_by_default": "on",
            "order": 5,
        },
    )
    assert response.status_code == 302
    role = AccountRole.objects.get(code="escalation_manager")
    assert role.can_escalate_immediately
    change = reverse("admin:tenants_accountrole_change", args=[role.id])
    assert 'name="code"' not in client.get(change).content.decode()  # fixed once saved


def test_engineers_read_but_do_not_change_account_roles(client, cast):
    client.force_login(cast.engineer)
    assert client.get(reverse("admin:tenants_accountrole_changelist")).status_code == 200
    assert client.get(reverse("admin:tenants_accountrole_add")).status_code == 403


def test_a_team_member_without_a_choice_is_shown_as_the_role_says(cast):
    from tenants.account_teams import account_team_of
    from tests.factories import AccountTeamMemberFactory

    AccountTeamMemberFactory(tenant=cast.tenant_a, role=AccountRole.CUSTOMER_SUCCESS_PRINCIPAL)
    AccountTeamMemberFactory(tenant=cast.tenant_a, role=AccountRole.CEO)
    AccountTeamMemberFactory(tenant=cast.tenant_a, role=AccountRole.COO, shown_in_portal=True)
    shown = {m.role_id for m in account_team_of(cast.contact_a, cast.tenant_a.id)}
    assert shown == {AccountRole.CUSTOMER_SUCCESS_PRINCIPAL, AccountRole.COO}
    AccountRole.objects.filter(code=AccountRole.CEO).update(shown_in_portal_by_default=True)
    shown = {m.role_id for m in account_team_of(cast.contact_a, cast.tenant_a.id)}
    assert AccountRole.CEO in shown
