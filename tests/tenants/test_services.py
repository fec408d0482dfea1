import datetime as dt

import pytest
from django.contrib.auth.models import Group

from supportdesk.errors import InvalidInput, NotFound, NotPermitted, StateConflict
from tenants.models import AuthorizedContact, ContactRequest, LetterOfAuthorization
from tenants.roles import Role
from tenants.services import (
    contact_grant,
    contact_remove,
    contact_request_approve,
    contact_request_create,
    contact_request_reject,
    contact_update,
    letter_approve,
    letter_reject,
    letter_rescind,
    letter_submit,
)
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def _request(cast, email: str = "carl@acme.test") -> ContactRequest:
    return contact_request_create(
        actor=cast.contact_a,
        tenant_id=cast.tenant_a.id,
        first_name="Carl",
        last_name="Acme",
        email=email,
        training_completed="Admin Essentials",
    )


def test_approved_contact_request_creates_certified_contact(cast):
    request = _request(cast)
    contact_request_approve(actor=cast.engineer, request_id=request.id)
    request.refresh_from_db()
    assert request.status == ContactRequest.Status.APPROVED
    assert request.contact.user.email == "carl@acme.test"
    assert request.contact.certification == "Admin Essentials"
    assert request.contact.has_portal_access


def test_contact_limit_holds_at_approval_with_a_clear_error(cast):
    ContactFactory(tenant=cast.tenant_a)  # the plan allows 2; ann is the first
    request = _request(cast)
    with pytest.raises(InvalidInput, match="already has 2 of the 2 portal contacts"):
        contact_request_approve(actor=cast.engineer, request_id=request.id)
    request.refresh_from_db()
    assert request.status == ContactRequest.Status.PENDING
    assert AuthorizedContact.objects.filter(tenant=cast.tenant_a).count() == 2


def test_removing_a_contact_frees_a_slot(cast):
    other = ContactFactory(tenant=cast.tenant_a)
    contact_remove(actor=cast.contact_a, contact_id=other.id, reason="Left the company")
    request = _request(cast)
    contact_request_approve(actor=cast.engineer, request_id=request.id)
    assert AuthorizedContact.objects.filter(tenant=cast.tenant_a, is_active=True).count() == 2


def test_contact_request_with_bad_input_changes_nothing(cast):
    with pytest.raises(InvalidInput) as error:
        contact_request_create(
            actor=cast.contact_a,
            tenant_id=cast.tenant_a.id,
            first_name="",
            last_name="X",
            email="not-an-address",
            training_completed=" ",
        )
    assert set(error.value.field_errors) == {"first_name", "email", "training_completed"}
    assert not ContactRequest.objects.exists()


def test_contact_request_for_another_tenant_is_not_found(cast):
    with pytest.raises(NotFound):
        contact_request_create(
            actor=cast.contact_a,
            tenant_id=cast.tenant_b.id,
            first_name="Eve",
            last_name="Spy",
            email="eve@spy.test",
            training_completed="None",
        )


def test_only_staff_decide_contact_requests(cast):
    request = _request(cast)
    with pytest.raises(NotPermitted):
        contact_request_approve(actor=cast.contact_a, request_id=request.id)
    with pytest.raises(InvalidInput, match="why"):
        contact_request_reject(actor=cast.engineer, request_id=request.id, note="")
    contact_request_reject(actor=cast.engineer, request_id=request.id, note="Training missing")
    with pytest.raises(StateConflict, match="already rejected"):
        contact_request_approve(actor=cast.engineer, request_id=request.id)


def test_rescission_needs_a_written_reason(cast):
    with pytest.raises(InvalidInput, match="in writing"):
        letter_rescind(actor=cast.contact_a, letter_id=cast.letter.id, reason="  ")
    cast.letter.refresh_from_db()
    assert cast.letter.status == LetterOfAuthorization.Status.ACTIVE


def test_other_tenants_contact_and_the_partner_cannot_rescind(cast):
    with pytest.raises(NotFound):
        letter_rescind(actor=cast.contact_b, letter_id=cast.letter.id, reason="Mischief")
    with pytest.raises(NotFound):
        letter_rescind(actor=cast.partner_without_letter, letter_id=cast.letter.id, reason="No")
    # The partner sees its own letter, so it is told why it may not rescind it.
    with pytest.raises(NotPermitted, match="authorized contacts"):
        letter_rescind(actor=cast.partner_with_letter, letter_id=cast.letter.id, reason="No")
    cast.letter.refresh_from_db()
    assert cast.letter.status == LetterOfAuthorization.Status.ACTIVE


def test_rescinded_letter_cannot_be_rescinded_again(cast):
    letter_rescind(actor=cast.contact_a, letter_id=cast.letter.id, reason="Ended")
    with pytest.raises(StateConflict, match="not active"):
        letter_rescind(actor=cast.contact_a, letter_id=cast.letter.id, reason="Ended")


def test_letter_with_future_signature_date_is_refused(cast):
    with pytest.raises(InvalidInput) as error:
        letter_submit(
            actor=cast.engineer,
            partner_id=cast.partner.id,
            tenant_id=cast.tenant_b.id,
            signatory_name="X",
            signatory_title="Y",
            signed_on=dt.date(2999, 1, 1),
        )
    assert "signed_on" in error.value.field_errors


def test_second_open_letter_for_same_pair_is_refused(cast):
    with pytest.raises(StateConflict, match="already has an open letter"):
        letter_submit(
            actor=cast.partner_with_letter,
            partner_id=cast.partner.id,
            tenant_id=cast.tenant_a.id,
            signatory_name="X",
            signatory_title="Y",
            signed_on=dt.date(2026, 1, 1),
        )


def test_rejected_letter_grants_nothing(cast):
    letter = letter_submit(
        actor=cast.engineer,
        partner_id=cast.partner.id,
        tenant_id=cast.tenant_b.id,
        signatory_name="Gina",
        signatory_title="CTO",
        signed_on=dt.date(2026, 1, 1),
    )
    letter_reject(actor=cast.engineer, letter_id=letter.id, note="Unsigned copy")
    assert list(
        cast.partner_with_letter.partner_membership.partner.letters.filter(
            status="active"
        ).values_list("tenant__name", flat=True)
    ) == ["Acme Corp"]


def test_role_groups_exist_with_admin_permissions():
    engineer = Group.objects.get(name=Role.ENGINEER.value)
    manager = Group.objects.get(name=Role.MANAGER.value)
    assert engineer.permissions.filter(codename="change_case").exists()
    assert not engineer.permissions.filter(codename="change_supportplan").exists()
    assert manager.permissions.filter(codename="change_supportplan").exists()
    # Nothing is deleted through a role but a plan's offer of a category (cases keep their
    # category code; the audit log keeps the offer).
    deletes = manager.permissions.filter(codename__startswith="delete_")
    assert list(deletes.values_list("codename", flat=True)) == ["delete_plancategory"]


def _staff_letter(cast, actor) -> LetterOfAuthorization:
    return letter_submit(
        actor=actor,
        partner_id=cast.partner.id,
        tenant_id=cast.tenant_b.id,
        signatory_name="Gina Globex",
        signatory_title="CTO",
        signed_on=dt.date(2026, 1, 1),
    )


def test_letter_records_who_submitted_it(cast):
    assert _staff_letter(cast, cast.engineer).submitted_by == cast.engineer


def test_engineer_may_not_approve_a_letter(cast):
    letter = _staff_letter(cast, cast.partner_with_letter)
    with pytest.raises(NotPermitted, match="triage lead"):
        letter_approve(actor=cast.engineer, letter_id=letter.id)
    letter.refresh_from_db()
    assert letter.status == LetterOfAuthorization.Status.SUBMITTED


@pytest.mark.parametrize("role", ["triage_lead", "manager"])
def test_letter_is_never_approved_by_who_recorded_it(cast, role):
    letter = _staff_letter(cast, getattr(cast, role))
    with pytest.raises(NotPermitted, match="four eyes"):
        letter_approve(actor=getattr(cast, role), letter_id=letter.id)
    letter.refresh_from_db()
    assert letter.status == LetterOfAuthorization.Status.SUBMITTED
    assert letter.reviewed_by is None


def test_letter_recorded_by_an_engineer_is_approved_by_a_triage_lead(cast):
    letter = _staff_letter(cast, cast.engineer)
    letter_approve(actor=cast.triage_lead, letter_id=letter.id)
    letter.refresh_from_db()
    assert letter.status == LetterOfAuthorization.Status.ACTIVE
    assert letter.reviewed_by == cast.triage_lead


def test_removal_records_who_removed_the_contact(cast):
    other = ContactFactory(tenant=cast.tenant_a)
    contact_remove(actor=cast.contact_a, contact_id=other.id, reason="Left")
    other.refresh_from_db()
    assert other.removed_by == cast.contact_a


def test_staff_cannot_grant_back_a_contact_the_customer_removed(cast):
    other = ContactFactory(tenant=cast.tenant_a)
    contact_remove(actor=cast.contact_a, contact_id=other.id, reason="Left")
    with pytest.raises(StateConflict, match="only a contact request from the customer"):
        contact_grant(
            actor=cast.manager, tenant_id=cast.tenant_a.id, user=other.user, certification="X"
        )
    other.refresh_from_db()
    assert not other.is_active


def test_contact_removed_before_removers_were_recorded_counts_as_the_customers(cast):
    other = ContactFactory(tenant=cast.tenant_a, is_active=False)
    with pytest.raises(StateConflict):
        contact_grant(
            actor=cast.engineer, tenant_id=cast.tenant_a.id, user=other.user, certification="X"
        )


def test_contact_grant_needs_a_staff_role(cast):
    with pytest.raises(NotPermitted):
        contact_grant(
            actor=cast.contact_a,
            tenant_id=cast.tenant_a.id,
            user=cast.contact_b,
            certification="Admin Essentials",
        )
    assert not AuthorizedContact.objects.filter(tenant=cast.tenant_a, user=cast.contact_b)


def test_removed_contact_details_are_not_edited_back_to_life(cast):
    other = ContactFactory(tenant=cast.tenant_a)
    contact_remove(actor=cast.engineer, contact_id=other.id, reason="Left")
    with pytest.raises(StateConflict, match="grant access again"):
        contact_update(
            actor=cast.engineer,
            contact_id=other.id,
            phone="",
            certification="Expert",
            certified_on=None,
            effective_from=dt.date(2026, 1, 1),
        )


def test_customer_removal_holds_after_the_remover_leaves_too(cast):
    other = ContactFactory(tenant=cast.tenant_a)
    contact_remove(actor=cast.contact_a, contact_id=other.id, reason="Left")
    ann = AuthorizedContact.objects.get(user=cast.contact_a)
    contact_remove(actor=cast.engineer, contact_id=ann.id, reason="Left too")
    with pytest.raises(StateConflict, match="only a contact request from the customer"):
        contact_grant(
            actor=cast.engineer, tenant_id=cast.tenant_a.id, user=other.user, certification="X"
        )
