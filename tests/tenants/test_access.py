import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser

from tenants.access import (
    acting_pairs,
    acting_partner_member,
    can_act_for,
    is_contact_of,
    portal_access_problem,
    tenants_for,
)
from tenants.models import LetterOfAuthorization
from tenants.services import contact_update, letter_approve, letter_rescind, letter_submit
from tests.factories import ContactFactory, LetterFactory, TenantFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_contact_acts_only_for_own_tenant(cast):
    assert list(tenants_for(cast.contact_a)) == [cast.tenant_a]
    assert not can_act_for(cast.contact_a, cast.tenant_b.id)


def test_support_staff_act_for_every_tenant(cast):
    for user in (cast.engineer, cast.triage_lead, cast.manager):
        assert set(tenants_for(user)) == {cast.tenant_a, cast.tenant_b}


def test_anonymous_and_inactive_users_act_for_nobody(cast):
    assert not tenants_for(AnonymousUser()).exists()
    cast.contact_a.is_active = False
    cast.contact_a.save()
    assert not tenants_for(cast.contact_a).exists()


def test_contact_without_recorded_certification_has_no_access(cast):
    user = ContactFactory(tenant=cast.tenant_a, certification="").user
    assert not tenants_for(user).exists()
    assert "certification" in portal_access_problem(user)


def test_a_certification_of_blanks_is_none_everywhere(cast):
    """The access query once counted blanks as a certification; the portal's own check
    (and `has_portal_access`) did not. Blanks are now stored as none, and every check
    reads the stored value the same way."""
    contact = ContactFactory(tenant=cast.tenant_a)
    contact = contact_update(
        actor=cast.engineer,
        contact_id=contact.id,
        phone="",
        certification=" \t ",
        certified_on=None,
        effective_from=contact.effective_from,
    )
    assert contact.certification == ""
    assert not contact.is_certified
    assert not contact.has_portal_access
    assert not tenants_for(contact.user).exists()
    assert acting_pairs([(contact.user, cast.tenant_a.id)]) == set()
    assert "certification" in portal_access_problem(contact.user)


def test_removed_contact_has_no_access_and_is_told_why(cast):
    contact = cast.contact_a.contacts.get()
    contact.is_active = False
    contact.save()
    assert not tenants_for(cast.contact_a).exists()
    assert "removed" in portal_access_problem(cast.contact_a)


def test_contact_access_starts_on_its_effective_date(cast):
    user = ContactFactory(tenant=cast.tenant_a, effective_from=dt.date(2099, 1, 5)).user
    assert not tenants_for(user).exists()
    assert "05 January 2099" in portal_access_problem(user)


def test_inactive_tenant_is_out_of_reach_for_its_contacts(cast):
    cast.tenant_a.is_active = False
    cast.tenant_a.save()
    assert not tenants_for(cast.contact_a).exists()


def test_partner_acts_for_tenant_while_letter_is_active(cast):
    assert list(tenants_for(cast.partner_with_letter)) == [cast.tenant_a]
    assert acting_partner_member(cast.partner_with_letter, cast.tenant_a.id).partner == cast.partner
    assert not tenants_for(cast.partner_without_letter).exists()
    assert "no active letter" in portal_access_problem(cast.partner_without_letter)


def test_partner_access_starts_only_when_staff_approve_the_letter(cast):
    member = cast.partner_without_letter
    partner = member.partner_membership.partner
    letter = letter_submit(
        actor=member,
        partner_id=partner.id,
        tenant_id=cast.tenant_b.id,
        signatory_name="Gina Globex",
        signatory_title="CTO",
        signed_on=dt.date(2026, 3, 1),
    )
    assert not can_act_for(member, cast.tenant_b.id)
    letter_approve(actor=cast.triage_lead, letter_id=letter.id)
    assert can_act_for(member, cast.tenant_b.id)


def test_partner_loses_access_when_letter_rescinded(cast):
    letter_rescind(
        actor=cast.contact_a, letter_id=cast.letter.id, reason="We now use another partner."
    )
    assert not tenants_for(cast.partner_with_letter).exists()
    assert "rescinded" in portal_access_problem(cast.partner_with_letter)
    cast.letter.refresh_from_db()
    assert cast.letter.status == LetterOfAuthorization.Status.RESCINDED
    assert cast.letter.rescinded_by == cast.contact_a
    assert cast.letter.rescission_reason == "We now use another partner."


def test_letter_for_another_tenant_grants_nothing_here(cast):
    LetterFactory(partner=cast.partner, tenant=cast.tenant_b, status="rejected")
    assert list(tenants_for(cast.partner_with_letter)) == [cast.tenant_a]


def test_staff_without_a_role_are_not_support_staff(cast):
    user = UserFactory(is_staff=True)
    assert not tenants_for(user).exists()


def test_acting_pairs_answers_as_can_act_for_does_for_every_user_and_tenant(cast):
    """The batch form the sweeps use must never grant what `can_act_for` refuses: a
    letter rejected for B beside an active one for A, an inactive tenant, a contact who
    starts later, staff, an inactive user."""
    LetterFactory(partner=cast.partner, tenant=cast.tenant_b, status="rejected")
    dormant = TenantFactory(name="Dormant", reference_prefix="DORM", is_active=False)
    dormant_contact = ContactFactory(tenant=dormant).user
    later = ContactFactory(tenant=cast.tenant_b, effective_from=dt.date(2099, 1, 5)).user
    gone = ContactFactory(tenant=cast.tenant_a, user=UserFactory(is_active=False)).user
    users = [
        cast.contact_a,
        cast.contact_b,
        cast.partner_with_letter,
        cast.partner_without_letter,
        cast.engineer,
        cast.manager,
        dormant_contact,
        later,
        gone,
    ]
    tenants = [cast.tenant_a.id, cast.tenant_b.id, dormant.id]
    pairs = [(user, tenant_id) for user in users for tenant_id in tenants]
    expected = {(user.pk, tenant_id) for user, tenant_id in pairs if can_act_for(user, tenant_id)}
    assert acting_pairs(pairs) == expected
    assert (cast.partner_with_letter.pk, cast.tenant_b.id) not in expected
    assert (cast.engineer.pk, dormant.id) in expected


def test_acting_pairs_of_nothing_asks_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert acting_pairs([]) == set()


def _deactivate_partner(cast) -> None:
    cast.partner.is_active = False
    cast.partner.save()


def _deactivate_member(cast) -> None:
    membership = cast.partner_with_letter.partner_membership
    membership.is_active = False
    membership.save()


def _deactivate_tenant(cast) -> None:
    cast.tenant_a.is_active = False
    cast.tenant_a.save()


STOPS_A_PARTNER = pytest.mark.parametrize(
    "stop",
    [_deactivate_partner, _deactivate_member, _deactivate_tenant],
    ids=["partner deactivated", "member deactivated", "tenant inactive"],
)


@STOPS_A_PARTNER
def test_partner_stops_acting_under_an_active_letter(cast, stop):
    """Each of the three stops the partner in all three forms of the access function,
    although the letter itself stays active."""
    member = cast.partner_with_letter
    assert can_act_for(member, cast.tenant_a.id)
    stop(cast)
    cast.letter.refresh_from_db()
    assert cast.letter.status == LetterOfAuthorization.Status.ACTIVE
    assert not tenants_for(member).exists()
    assert not can_act_for(member, cast.tenant_a.id)
    assert acting_pairs([(member, cast.tenant_a.id)]) == set()
    assert acting_partner_member(member, cast.tenant_a.id) is None


@STOPS_A_PARTNER
def test_partner_stopped_on_one_tenant_keeps_another_only_where_it_may(cast, stop):
    """A second letter (for B) answers for itself: a deactivated partner or member loses
    both tenants, an inactive A takes only A."""
    member = cast.partner_with_letter
    LetterFactory(partner=cast.partner, tenant=cast.tenant_b)
    stop(cast)
    pairs = [(member, cast.tenant_a.id), (member, cast.tenant_b.id)]
    keeps_b = stop is _deactivate_tenant
    assert set(tenants_for(member)) == ({cast.tenant_b} if keeps_b else set())
    assert acting_pairs(pairs) == ({(member.pk, cast.tenant_b.id)} if keeps_b else set())


@STOPS_A_PARTNER
def test_stopped_partner_is_no_contact_and_is_told_there_is_no_access(cast, stop):
    """The two remaining functions of tenants.access: a partner member is never a contact
    of the tenant, before or after; and the portal explains why a stopped partner is out."""
    member = cast.partner_with_letter
    assert not is_contact_of(member, cast.tenant_a.id)
    assert portal_access_problem(member) is None
    stop(cast)
    assert not is_contact_of(member, cast.tenant_a.id)
    assert portal_access_problem(member) is not None


@STOPS_A_PARTNER
def test_stopping_one_partner_leaves_the_tenants_contacts_and_staff_alone(cast, stop):
    """Only the partner loses access: a deactivated partner or member takes nothing from
    the customer's own contacts; an inactive tenant takes it from its contacts too, and
    staff still reach it (as `tenants_for` says, in every form)."""
    stop(cast)
    contact_keeps = stop is not _deactivate_tenant
    assert can_act_for(cast.contact_a, cast.tenant_a.id) is contact_keeps
    assert is_contact_of(cast.contact_a, cast.tenant_a.id) is contact_keeps
    assert (portal_access_problem(cast.contact_a) is None) is contact_keeps
    pairs = [(cast.contact_a, cast.tenant_a.id), (cast.engineer, cast.tenant_a.id)]
    expected = {(cast.engineer.pk, cast.tenant_a.id)}
    if contact_keeps:
        expected.add((cast.contact_a.pk, cast.tenant_a.id))
    assert acting_pairs(pairs) == expected
    assert can_act_for(cast.engineer, cast.tenant_a.id)


def test_acting_partner_member_is_only_the_users_own_membership_for_that_tenant(cast):
    member = cast.partner_with_letter
    assert acting_partner_member(member, cast.tenant_b.id) is None  # the letter names A only
    assert acting_partner_member(cast.contact_a, cast.tenant_a.id) is None  # not a member
    assert acting_partner_member(cast.engineer, cast.tenant_a.id) is None


def test_acting_pairs_grants_nobody_a_tenant_that_does_not_exist(cast):
    missing = TenantFactory(name="Gone", reference_prefix="GONE")
    missing_id = missing.id
    missing.delete()
    pairs = [(cast.engineer, missing_id), (cast.contact_a, missing_id)]
    assert acting_pairs(pairs) == set()
    assert not can_act_for(cast.engineer, missing_id)


def test_portal_names_the_reason_that_applies_to_the_active_contact(cast):
    """Where a user has several contact records, the reason given is the active one's."""
    removed_elsewhere = ContactFactory(tenant=cast.tenant_b, is_active=False)
    user = removed_elsewhere.user
    ContactFactory(tenant=cast.tenant_a, user=user, certification="")
    assert "certification" in portal_access_problem(user)

    later = ContactFactory(tenant=cast.tenant_b, effective_from=dt.date(2099, 1, 5))
    ContactFactory(tenant=cast.tenant_a, user=later.user, certification="", is_active=False)
    assert "05 January 2099" in portal_access_problem(later.user)


def test_contact_of_an_inactive_tenant_is_not_told_access_starts_later(cast):
    cast.tenant_a.is_active = False
    cast.tenant_a.save()
    ContactFactory(
        tenant=cast.tenant_b, user=cast.contact_a, effective_from=dt.date(2099, 1, 5)
    ).user.contacts.filter(tenant=cast.tenant_b).update(is_active=False)
    problem = portal_access_problem(cast.contact_a)
    assert problem is not None
    assert "starts on" not in problem


def test_partner_is_told_of_its_own_letters_only(cast):
    member = cast.partner_without_letter
    LetterFactory(
        partner=member.partner_membership.partner, tenant=cast.tenant_b, status="rejected"
    )
    letter_rescind(actor=cast.contact_a, letter_id=cast.letter.id, reason="Another partner now.")
    assert "no active letter" in portal_access_problem(member)


def test_user_with_no_contact_and_no_membership_is_told_to_ask_support(cast):
    assert "contact support" in portal_access_problem(UserFactory())
