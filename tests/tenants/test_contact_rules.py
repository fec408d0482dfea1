"""The plan's contact rules (issue 16), on every path that adds a person: a staff grant, a
contact request and its approval, the invitation that follows, the API; and the one
access function deciding who may act as the plan's certifications and partner rules
stand now."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError

from supportdesk.errors import InvalidInput
from tenants.access import (
    acting_pairs,
    can_act_for,
    is_contact_of,
    portal_access_problem,
    tenants_for,
)
from tenants.contact_rules import first_effective_date
from tenants.models import (
    AcceptedCertification,
    AuthorizedContact,
    ContactInvitation,
    ContactRequest,
    LetterOfAuthorization,
    PartnerMember,
)
from tenants.services import (
    contact_grant,
    contact_remove,
    contact_request_approve,
    contact_request_create,
    contact_slots,
    contact_update,
    letter_approve,
    partner_member_add,
    partner_member_update,
)
from tests.factories import ContactFactory, LetterFactory, PartnerMemberFactory, UserFactory

pytestmark = pytest.mark.django_db

DAM = "Aprimo DAM Certified"
PM = "Aprimo Productivity Management Certified"
ANNS = "Certified Administrator"  # the cast's contacts hold it (tests.factories)
# Monday 23 November 2026, noon in New York (the factories' plan calendar: Mon–Fri 9–17,
# US holidays). Thanksgiving is Thursday 26 November.
MONDAY_BEFORE_THANKSGIVING = dt.datetime(2026, 11, 23, 17, 0, tzinfo=dt.UTC)


def _plan(cast, **rules: object):
    plan = cast.tenant_a.plan
    for name, value in rules.items():
        setattr(plan, name, value)
    plan.save()
    return plan


def _accept(plan, *names: str) -> None:
    for order, name in enumerate(names):
        AcceptedCertification.objects.create(plan=plan, name=name, order=order)


def _request(cast, **overrides: object) -> ContactRequest:
    data = {
        "first_name": "Carl",
        "last_name": "Acme",
        "email": "carl@acme.test",
        "training_completed": "Admin Essentials",
        **overrides,
    }
    return contact_request_create(actor=cast.contact_a, tenant_id=cast.tenant_a.id, **data)


# --- The limit: any positive number, or none.


def test_the_limit_is_any_positive_number_or_none(cast):
    plan = cast.tenant_a.plan
    for allowed in (1, 7, 250, None):
        plan.max_portal_contacts = allowed
        plan.full_clean()
    plan.max_portal_contacts = 0
    with pytest.raises(ValidationError):
        plan.full_clean()


def test_a_plan_without_a_limit_takes_any_number_of_contacts(cast):
    _plan(cast, max_portal_contacts=None)
    for n in range(4):
        contact_grant(
            actor=cast.engineer,
            tenant_id=cast.tenant_a.id,
            user=UserFactory(username=f"extra{n}@acme.test"),
            certification="Admin Essentials",
        )
    slots = contact_slots(cast.tenant_a)
    assert (slots.used, slots.limit, slots.text, slots.full) == (5, None, "no limit", False)


def test_a_plan_of_five_takes_a_fifth_contact_and_refuses_a_sixth(cast):
    _plan(cast, max_portal_contacts=5)
    for _n in range(4):
        ContactFactory(tenant=cast.tenant_a)
    assert contact_slots(cast.tenant_a).text == "5 of 5"
    with pytest.raises(InvalidInput, match="already has 5 of the 5 portal contacts"):
        contact_grant(
            actor=cast.engineer,
            tenant_id=cast.tenant_a.id,
            user=UserFactory(),
            certification="Admin Essentials",
        )


def test_the_recommended_minimum_is_advice_below_it(cast):
    _plan(cast, recommended_min_contacts=2)
    assert contact_slots(cast.tenant_a).below_recommended
    ContactFactory(tenant=cast.tenant_a)
    assert not contact_slots(cast.tenant_a).below_recommended


# --- Accepted certifications: access needs one of the plan's, when it lists any.


def test_a_grant_with_a_certification_the_plan_does_not_accept_is_refused_naming_those_it_does(
    cast,
):
    _accept(cast.tenant_a.plan, DAM, PM)
    with pytest.raises(InvalidInput) as refused:
        contact_grant(
            actor=cast.engineer,
            tenant_id=cast.tenant_a.id,
            user=UserFactory(username="nina@acme.test"),
            certification="Watched a webinar",
        )
    assert DAM in refused.value.message
    assert PM in refused.value.message
    assert refused.value.field_errors == {"certification": [f"Choose one of: {DAM}; {PM}."]}
    assert not AuthorizedContact.objects.filter(user__username="nina@acme.test").exists()


def test_a_granted_certification_is_stored_as_the_plan_names_it(cast):
    _accept(cast.tenant_a.plan, DAM)
    contact = contact_grant(
        actor=cast.engineer,
        tenant_id=cast.tenant_a.id,
        user=UserFactory(),
        certification="  aprimo dam CERTIFIED ",
    )
    assert contact.certification == DAM
    assert contact.has_portal_access


def test_a_contact_request_with_an_unaccepted_certification_is_refused(cast):
    _accept(cast.tenant_a.plan, DAM, ANNS)
    with pytest.raises(InvalidInput) as refused:
        _request(cast, training_completed="Admin Essentials")
    assert set(refused.value.field_errors) == {"training_completed"}
    assert not ContactRequest.objects.exists()
    request = _request(cast, training_completed=DAM)
    contact_request_approve(actor=cast.engineer, request_id=request.id)
    assert AuthorizedContact.objects.get(user__email="carl@acme.test").has_portal_access


def test_changing_the_plans_list_changes_access_at_once(cast):
    """Ann holds "Certified Administrator" (the factory's). Listing only DAM takes her
    access away in the database's answer and in the loaded row's; listing hers too gives
    it back; emptying the list accepts any recorded certification again."""
    plan = cast.tenant_a.plan
    contact = cast.contact_a.contacts.get()
    assert can_act_for(cast.contact_a, cast.tenant_a.id)

    _accept(plan, DAM)
    assert not can_act_for(cast.contact_a, cast.tenant_a.id)
    assert not is_contact_of(cast.contact_a, cast.tenant_a.id)
    assert acting_pairs([(cast.contact_a, cast.tenant_a.id)]) == set()
    assert not AuthorizedContact.objects.get(id=contact.id).has_portal_access
    assert DAM in portal_access_problem(cast.contact_a)

    AcceptedCertification.objects.create(plan=plan, name="Certified Administrator", order=1)
    assert can_act_for(cast.contact_a, cast.tenant_a.id)
    assert AuthorizedContact.objects.get(id=contact.id).has_portal_access

    plan.accepted_certifications.all().delete()
    assert tenants_for(cast.contact_a).filter(id=cast.tenant_a.id).exists()
    # Another plan's list does not touch this tenant.
    _accept(cast.tenant_b.plan, DAM)
    assert can_act_for(cast.contact_a, cast.tenant_a.id)
    assert not can_act_for(cast.contact_b, cast.tenant_b.id)


def test_an_empty_certification_never_gives_access(cast):
    contact = cast.contact_a.contacts.get()
    AuthorizedContact.objects.filter(id=contact.id).update(certification="")
    assert not can_act_for(cast.contact_a, cast.tenant_a.id)
    assert "recorded product certification" in portal_access_problem(cast.contact_a)


def test_staff_correcting_a_certification_must_use_an_accepted_one(cast):
    _accept(cast.tenant_a.plan, DAM)
    contact = cast.contact_a.contacts.get()
    with pytest.raises(InvalidInput, match=DAM):
        contact_update(
            actor=cast.engineer,
            contact_id=contact.id,
            phone="",
            certification="Something else",
            certified_on=None,
            effective_from=contact.effective_from,
        )
    contact_update(
        actor=cast.engineer,
        contact_id=contact.id,
        phone="",
        certification=DAM,
        certified_on=None,
        effective_from=contact.effective_from,
    )
    assert can_act_for(cast.contact_a, cast.tenant_a.id)


# --- Partners: counted toward the limit, and certified, where the plan says so.


def test_partners_do_not_count_toward_the_limit_unless_the_plan_says_so(cast):
    assert contact_slots(cast.tenant_a).used == 1
    _plan(cast, partners_count_toward_limit=True)
    slots = contact_slots(cast.tenant_a)
    assert (slots.contacts, slots.partner_members, slots.text) == (1, 1, "2 of 2")


def test_counted_partner_members_take_the_last_place_from_a_grant(cast):
    _plan(cast, partners_count_toward_limit=True)
    with pytest.raises(InvalidInput, match="1 of them partner members"):
        contact_grant(
            actor=cast.engineer,
            tenant_id=cast.tenant_a.id,
            user=UserFactory(),
            certification="Admin Essentials",
        )


def test_counted_partner_members_take_the_last_place_from_an_approval(cast):
    request = _request(cast)
    _plan(cast, partners_count_toward_limit=True)
    with pytest.raises(InvalidInput, match="already has 2 of the 2"):
        contact_request_approve(actor=cast.engineer, request_id=request.id)
    assert ContactRequest.objects.get(id=request.id).status == ContactRequest.Status.PENDING


def test_approving_a_letter_whose_members_would_pass_the_limit_is_refused(cast):
    _plan(cast, partners_count_toward_limit=True, max_portal_contacts=3)
    other = PartnerMemberFactory().partner
    PartnerMemberFactory(partner=other)
    letter = LetterFactory(partner=other, tenant=cast.tenant_a, status="submitted")
    with pytest.raises(InvalidInput, match="approving this letter"):
        letter_approve(actor=cast.triage_lead, letter_id=letter.id)
    letter.refresh_from_db()
    assert letter.status == LetterOfAuthorization.Status.SUBMITTED
    _plan(cast, max_portal_contacts=4)
    letter_approve(actor=cast.triage_lead, letter_id=letter.id)
    assert contact_slots(cast.tenant_a).text == "4 of 4"


def test_adding_a_member_to_a_counted_partner_over_the_limit_is_refused(cast):
    _plan(cast, partners_count_toward_limit=True)
    newcomer = UserFactory(username="pia@initech.test")
    with pytest.raises(InvalidInput, match=r"adding pia@initech\.test to Initech Consulting"):
        partner_member_add(actor=cast.manager, partner_id=cast.partner.id, user=newcomer)
    assert not PartnerMember.objects.filter(user=newcomer).exists()
    # An inactive member takes no place; turning them on again does.
    member = partner_member_add(
        actor=cast.manager, partner_id=cast.partner.id, user=newcomer, is_active=False
    )
    with pytest.raises(InvalidInput, match=r"turning pia@initech\.test on again"):
        partner_member_update(
            actor=cast.manager,
            member_id=member.id,
            is_active=True,
            certification="",
            certified_on=None,
        )
    _plan(cast, partners_count_toward_limit=False)
    partner_member_update(
        actor=cast.manager, member_id=member.id, is_active=True, certification="", certified_on=None
    )
    assert PartnerMember.objects.get(id=member.id).is_active


def test_partner_members_need_an_accepted_certification_where_the_plan_says_so(cast):
    pat = cast.partner_with_letter
    assert can_act_for(pat, cast.tenant_a.id)
    _plan(cast, partners_need_certification=True)
    assert not can_act_for(pat, cast.tenant_a.id)
    assert acting_pairs([(pat, cast.tenant_a.id)]) == set()
    assert "recorded product certification" in portal_access_problem(pat)

    member = pat.partner_membership
    partner_member_update(
        actor=cast.manager,
        member_id=member.id,
        is_active=True,
        certification="Partner Foundations",
        certified_on=dt.date(2026, 5, 1),
    )
    assert can_act_for(pat, cast.tenant_a.id)
    _accept(cast.tenant_a.plan, DAM)
    assert not can_act_for(pat, cast.tenant_a.id)
    assert DAM in portal_access_problem(pat)
    partner_member_update(
        actor=cast.manager,
        member_id=member.id,
        is_active=True,
        certification=DAM,
        certified_on=None,
    )
    assert can_act_for(pat, cast.tenant_a.id)


def test_a_partners_certification_rule_is_per_tenant(cast):
    """The partner also holds a letter for Globex, whose plan asks nothing: Pat keeps
    acting there while Acme's plan refuses him."""
    LetterFactory(partner=cast.partner, tenant=cast.tenant_b)
    _plan(cast, partners_need_certification=True)
    pat = cast.partner_with_letter
    assert set(tenants_for(pat)) == {cast.tenant_b}


def test_partner_members_are_managed_by_managers_only(cast):
    from supportdesk.errors import NotPermitted

    with pytest.raises(NotPermitted):
        partner_member_add(actor=cast.engineer, partner_id=cast.partner.id, user=UserFactory())


# --- Notice period: a new contact takes effect N business days after it is asked for.


@time_machine.travel(MONDAY_BEFORE_THANKSGIVING, tick=False)
def test_five_business_days_notice_skips_the_weekend_and_thanksgiving(cast):
    plan = _plan(cast, contact_notice_business_days=5)
    # Tue 24, Wed 25, (Thanksgiving), Fri 27, Mon 30, Tue 1 December.
    assert first_effective_date(plan) == dt.date(2026, 12, 1)
    plan.contact_notice_business_days = 2
    assert first_effective_date(plan) == dt.date(2026, 11, 25)
    plan.contact_notice_business_days = 3
    assert first_effective_date(plan) == dt.date(2026, 11, 27)


@time_machine.travel(MONDAY_BEFORE_THANKSGIVING, tick=False)
def test_a_staff_grant_earlier_than_the_notice_allows_is_refused_with_the_first_date(cast):
    _plan(cast, contact_notice_business_days=5, max_portal_contacts=3)
    with pytest.raises(InvalidInput, match="the earliest start is 01 December 2026"):
        contact_grant(
            actor=cast.engineer,
            tenant_id=cast.tenant_a.id,
            user=UserFactory(),
            certification="Admin Essentials",
            effective_from=dt.date(2026, 11, 30),
        )
    granted = contact_grant(
        actor=cast.engineer,
        tenant_id=cast.tenant_a.id,
        user=UserFactory(username="nico@acme.test", password=None),
        certification="Admin Essentials",
    )
    assert granted.effective_from == dt.date(2026, 12, 1)
    assert not granted.has_portal_access
    assert not can_act_for(granted.user, cast.tenant_a.id)
    # The invitation still goes out, saying when access starts.
    assert ContactInvitation.objects.filter(contact=granted).exists()


def test_a_noticed_contact_gets_access_on_the_first_allowed_day(cast):
    with time_machine.travel(MONDAY_BEFORE_THANKSGIVING, tick=False):
        _plan(cast, contact_notice_business_days=5)
        granted = contact_grant(
            actor=cast.engineer,
            tenant_id=cast.tenant_a.id,
            user=UserFactory(),
            certification="Admin Essentials",
        )
    with time_machine.travel(dt.datetime(2026, 11, 30, 22, 0, tzinfo=dt.UTC), tick=False):
        assert not can_act_for(granted.user, cast.tenant_a.id)
    with time_machine.travel(dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC), tick=False):
        assert can_act_for(granted.user, cast.tenant_a.id)


@time_machine.travel(MONDAY_BEFORE_THANKSGIVING, tick=False)
def test_a_contact_request_defaults_to_the_first_allowed_day_and_refuses_earlier(cast):
    _plan(cast, contact_notice_business_days=5)
    with pytest.raises(InvalidInput) as refused:
        _request(cast, effective_from=dt.date(2026, 11, 24))
    assert refused.value.field_errors["effective_from"] == [
        "The earliest start is 01 December 2026 (2026-12-01)."
    ]
    request = _request(cast)
    assert request.effective_from == dt.date(2026, 12, 1)


def test_an_approval_keeps_the_notice_counted_from_the_request(cast):
    with time_machine.travel(MONDAY_BEFORE_THANKSGIVING, tick=False):
        request = _request(cast)  # no notice yet: starts today
        _plan(cast, contact_notice_business_days=5)
    with time_machine.travel(dt.datetime(2026, 11, 25, 15, 0, tzinfo=dt.UTC), tick=False):
        contact_request_approve(actor=cast.engineer, request_id=request.id)
    contact = ContactRequest.objects.get(id=request.id).contact
    assert contact.effective_from == dt.date(2026, 12, 1)


@time_machine.travel(MONDAY_BEFORE_THANKSGIVING, tick=False)
def test_removal_takes_effect_at_once_whatever_the_notice(cast):
    _plan(cast, contact_notice_business_days=5)
    contact = cast.contact_a.contacts.get()
    contact_remove(actor=cast.engineer, contact_id=contact.id, reason="Written notice received")
    assert not can_act_for(cast.contact_a, cast.tenant_a.id)
