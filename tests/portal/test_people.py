"""Contacts and letters of authorization, managed by the tenant's own contacts."""

import pytest
from django.urls import reverse

from tenants.models import ContactRequest, LetterOfAuthorization
from tenants.services import contact_request_reject
from tests.cases.helpers import file_case
from tests.factories import ContactFactory, LetterFactory

pytestmark = pytest.mark.django_db

CONTACTS = reverse("portal:contacts")
LETTERS = reverse("portal:letters")
REQUEST = {
    "first_name": "Cara",
    "last_name": "Cole",
    "email": "cara@acme.test",
    "phone": "+1 555 0101",
    "training_completed": "Certified Administrator",
}


def test_contacts_page_shows_who_has_access_and_the_plans_limit(client, cast, sign_in):
    pending = ContactFactory(tenant=cast.tenant_a, certification="")
    ContactFactory(tenant=cast.tenant_b, user__first_name="Zed", user__last_name="Globexian")
    sign_in(cast.contact_a)
    html = client.get(CONTACTS).content.decode()
    assert cast.contact_a.get_full_name() in html
    assert pending.user.get_full_name() in html
    assert "No certification recorded" in html
    assert "2 of 2 used" in html
    assert "All 2 places are taken" in html
    assert "Globexian" not in html


def test_request_another_contact_and_see_its_status(client, cast, sign_in):
    sign_in(cast.contact_a)
    response = client.post(reverse("portal:contact_request"), REQUEST, follow=True)
    request = ContactRequest.objects.get()
    assert (request.tenant, request.requested_by) == (cast.tenant_a, cast.contact_a)
    html = response.content.decode()
    assert "Request sent for Cara Cole" in html
    assert "Pending review" in html
    contact_request_reject(actor=cast.engineer, request_id=request.id, note="Limit reached.")
    html = client.get(CONTACTS).content.decode()
    assert "Rejected" in html
    assert "Limit reached." in html


def test_bad_contact_request_comes_back_with_field_errors(client, cast, sign_in):
    sign_in(cast.contact_a)
    response = client.post(
        reverse("portal:contact_request"), {**REQUEST, "email": "nope", "training_completed": ""}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter a valid email address." in html
    assert "Name the training or certification held." in html
    assert not ContactRequest.objects.exists()


def test_contact_removes_a_colleague_with_a_reason(client, cast, sign_in):
    colleague = ContactFactory(tenant=cast.tenant_a)
    sign_in(cast.contact_a)
    url = reverse("portal:contact_remove", args=[colleague.id])
    assert client.post(url, {"remove-reason": ""}).status_code == 400
    response = client.post(url, {"remove-reason": "Left the company."}, follow=True)
    colleague.refresh_from_db()
    assert not colleague.is_active
    assert "no longer has portal access" in response.content.decode()


def test_another_tenants_contact_cannot_be_removed(client, cast, sign_in):
    sign_in(cast.contact_a)
    other = cast.contact_b.contacts.get()
    response = client.post(
        reverse("portal:contact_remove", args=[other.id]), {"remove-reason": "x"}
    )
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.is_active


def test_partners_may_not_manage_contacts_or_letters(client, cast, sign_in):
    sign_in(cast.partner_with_letter)
    for response in (
        client.get(CONTACTS),
        client.get(LETTERS),
        client.post(reverse("portal:contact_request"), REQUEST),
        client.post(
            reverse("portal:letter_rescind", args=[cast.letter.id]), {"rescind-reason": "x"}
        ),
    ):
        assert response.status_code == 403
        assert "authorized contacts manage" in response.content.decode()
    assert not ContactRequest.objects.exists()
    cast.letter.refresh_from_db()
    assert cast.letter.status == LetterOfAuthorization.Status.ACTIVE


def test_letters_page_lists_the_tenants_letters_only(client, cast, sign_in):
    LetterFactory(tenant=cast.tenant_b, partner__name="Globex Partner")
    sign_in(cast.contact_a)
    html = client.get(LETTERS).content.decode()
    assert "Initech Consulting" in html
    assert "Dana Signer" in html
    assert "Rescind this letter" in html
    assert "Globex Partner" not in html


def test_rescinding_needs_a_reason(client, cast, sign_in):
    sign_in(cast.contact_a)
    url = reverse("portal:letter_rescind", args=[cast.letter.id])
    response = client.post(url, {"rescind-reason": " "})
    assert response.status_code == 400
    assert "Rescission must be in writing" in response.content.decode()
    cast.letter.refresh_from_db()
    assert cast.letter.status == LetterOfAuthorization.Status.ACTIVE


def test_rescinding_cuts_the_partners_access_at_once(client, cast, sign_in):
    case = file_case(cast, actor=cast.partner_with_letter)
    partner = sign_in(cast.partner_with_letter, on=type(client)())
    assert partner.get(reverse("portal:case", args=[case.reference])).status_code == 200
    sign_in(cast.contact_a)
    response = client.post(
        reverse("portal:letter_rescind", args=[cast.letter.id]),
        {"rescind-reason": "Contract ended."},
        follow=True,
    )
    assert "can no longer act for Acme Corp" in response.content.decode()
    assert "Contract ended." in response.content.decode()
    signed_out = partner.get(reverse("portal:case", args=[case.reference]))
    assert signed_out.status_code == 302
    assert signed_out.url.startswith(reverse("portal:sign_in"))
    denied = sign_in(cast.partner_with_letter, on=partner).get(
        reverse("portal:case", args=[case.reference])
    )
    assert denied.status_code == 403
    assert "rescinded" in denied.content.decode()
    assert case.reference in client.get("/").content.decode()  # the case stays with the tenant


def test_another_tenants_letter_cannot_be_rescinded(client, cast, sign_in):
    letter = LetterFactory(tenant=cast.tenant_b)
    sign_in(cast.contact_a)
    response = client.post(
        reverse("portal:letter_rescind", args=[letter.id]), {"rescind-reason": "x"}
    )
    assert response.status_code == 404
    letter.refresh_from_db()
    assert letter.status == LetterOfAuthorization.Status.ACTIVE


# --- Issue 16: the plan's contact rules on the people page.


def test_contacts_page_says_no_limit_and_gives_the_recommended_minimum(client, cast, sign_in):
    plan = cast.tenant_a.plan
    plan.max_portal_contacts = None
    plan.recommended_min_contacts = 2
    plan.save()
    sign_in(cast.contact_a)
    html = client.get(CONTACTS).content.decode()
    assert "1 contact, no limit" in html
    assert "sets no limit on portal contacts" in html
    assert "We recommend at least 2 portal contacts" in html
    assert "places are taken" not in html
    ContactFactory(tenant=cast.tenant_a)
    assert "We recommend" not in client.get(CONTACTS).content.decode()


def test_contacts_page_counts_partner_members_where_the_plan_says_so(client, cast, sign_in):
    cast.tenant_a.plan.partners_count_toward_limit = True
    cast.tenant_a.plan.save()
    sign_in(cast.contact_a)
    html = client.get(CONTACTS).content.decode()
    assert "2 of 2 used" in html
    assert "1 partner member acting for you takes places of it" in html
    assert "All 2 places are taken" in html


def test_contact_request_form_offers_the_plans_certifications_and_first_start(
    client, cast, sign_in
):
    import datetime as dt

    import time_machine

    from tenants.models import AcceptedCertification

    plan = cast.tenant_a.plan
    plan.contact_notice_business_days = 5
    plan.save()
    for order, name in enumerate(["Aprimo DAM Certified", "Certified Administrator"]):
        AcceptedCertification.objects.create(plan=plan, name=name, order=order)
    sign_in(cast.contact_a)
    with time_machine.travel(dt.datetime(2026, 11, 23, 17, 0, tzinfo=dt.UTC), tick=False):
        html = client.get(CONTACTS).content.decode()
        assert '<select name="training_completed"' in html
        assert '<option value="Aprimo DAM Certified">' in html
        assert 'value="2026-12-01"' in html
        assert "the earliest start is 01 December 2026" in html
        refused = client.post(
            reverse("portal:contact_request"),
            {**REQUEST, "training_completed": "Watched a webinar", "effective_from": ""},
        )
        assert refused.status_code == 400
        assert "Select a valid choice" in refused.content.decode()
        assert not ContactRequest.objects.exists()
        client.post(
            reverse("portal:contact_request"),
            {**REQUEST, "training_completed": "Aprimo DAM Certified", "effective_from": ""},
        )
    assert ContactRequest.objects.get().effective_from == dt.date(2026, 12, 1)
