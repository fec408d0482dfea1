"""Who is calling, the customers they act for, contacts, contact requests and letters."""

import pytest
from django.urls import reverse

from tenants.models import ContactRequest, LetterOfAuthorization
from tests.api.conftest import error_of
from tests.cases.helpers import file_case
from tests.factories import ContactFactory, LetterFactory

pytestmark = pytest.mark.django_db

ME = reverse("api:me")
TENANTS = reverse("api:tenants")
LETTERS = reverse("api:letters")
REQUEST = {
    "first_name": "Cara",
    "last_name": "Cole",
    "email": "cara@acme.test",
    "training_completed": "Certified Administrator",
}


def tenant_url(name: str, tenant: object, **kwargs: object) -> str:
    return reverse(f"api:{name}", kwargs={"tenant_id": tenant.id, **kwargs})


def test_me_names_the_caller_how_they_signed_in_and_their_customers(cast, api):
    body = api(cast.contact_a).get(ME).json()
    assert body["username"] == "ann@acme.test"
    assert body["authenticated_by"] == "token"
    assert body["is_support_staff"] is False
    [tenant] = body["tenants"]
    assert (tenant["name"], tenant["acting_as"]) == ("Acme Corp", "contact")
    assert [p["code"] for p in tenant["plan"]["priorities"]] == ["P1", "P2", "P3", "P4"]
    partner = api(cast.partner_with_letter).get(ME).json()
    assert [(t["name"], t["acting_as"]) for t in partner["tenants"]] == [("Acme Corp", "partner")]
    staff = api(cast.engineer, session=True).get(ME).json()
    assert (staff["authenticated_by"], staff["is_support_staff"]) == ("session", True)


def test_tenants_list_and_read_only_what_the_caller_acts_for(cast, api):
    client = api(cast.contact_a)
    assert [t["id"] for t in client.get(TENANTS).json()] == [cast.tenant_a.id]
    assert client.get(tenant_url("tenant", cast.tenant_a)).json()["reference_prefix"] == "ACME"
    response = client.get(tenant_url("tenant", cast.tenant_b))
    assert response.status_code == 404
    assert error_of(response)["message"] == "No such customer."
    assert api(cast.partner_without_letter).get(TENANTS).status_code == 403
    assert api().get(TENANTS).status_code == 401


def test_contacts_are_listed_for_the_customers_own_contacts(cast, api):
    ContactFactory(tenant=cast.tenant_a, user__first_name="Cy", user__last_name="Colleague")
    response = api(cast.contact_a).get(tenant_url("contacts", cast.tenant_a))
    assert response.status_code == 200
    assert {c["name"] for c in response.json()} >= {"Cy Colleague"}
    assert all(c["has_portal_access"] for c in response.json())


def test_partner_is_refused_the_customers_people_with_a_reason(cast, api):
    client = api(cast.partner_with_letter)
    for name in ("contacts", "contact-requests"):
        response = client.get(tenant_url(name, cast.tenant_a))
        assert response.status_code == 403
        assert "authorized contacts" in error_of(response)["message"]
    response = client.post(tenant_url("contact-requests", cast.tenant_a), REQUEST, format="json")
    assert response.status_code == 403
    assert not ContactRequest.objects.exists()


def test_outsider_gets_404_on_another_customers_people(cast, api):
    client = api(cast.contact_b)
    for name in ("contacts", "contact-requests"):
        assert client.get(tenant_url(name, cast.tenant_a)).status_code == 404
    other = cast.contact_a.contacts.get()
    response = client.post(
        tenant_url("contact-remove", cast.tenant_a, contact_id=other.id), {"reason": "x"}
    )
    assert response.status_code == 404
    # Naming one's own tenant but another tenant's contact is no better.
    response = client.post(
        tenant_url("contact-remove", cast.tenant_b, contact_id=other.id), {"reason": "x"}
    )
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.is_active


def test_contact_requests_another_contact_and_sees_its_status(cast, api):
    client = api(cast.contact_a)
    response = client.post(tenant_url("contact-requests", cast.tenant_a), REQUEST, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "pending"
    listed = client.get(tenant_url("contact-requests", cast.tenant_a)).json()
    assert [r["email"] for r in listed["results"]] == ["cara@acme.test"]


def test_bad_contact_request_is_400_with_field_errors(cast, api):
    response = api(cast.contact_a).post(
        tenant_url("contact-requests", cast.tenant_a),
        {**REQUEST, "email": "nope", "training_completed": ""},
        format="json",
    )
    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"email", "training_completed"}
    too_long = api(cast.contact_a).post(
        tenant_url("contact-requests", cast.tenant_a),
        {**REQUEST, "email": "a" * 300 + "@acme.test"},
        format="json",
    )
    assert too_long.status_code == 400
    assert not ContactRequest.objects.exists()


def test_contact_removes_a_colleague_with_a_reason(cast, api):
    colleague = ContactFactory(tenant=cast.tenant_a)
    target = tenant_url("contact-remove", cast.tenant_a, contact_id=colleague.id)
    client = api(cast.contact_a)
    assert client.post(target, {"reason": ""}).status_code == 400
    response = client.post(target, {"reason": "Left the company."})
    assert response.status_code == 200
    colleague.refresh_from_db()
    assert not colleague.is_active
    assert client.post(target, {"reason": "Again"}).status_code == 409


def test_partner_lists_its_own_letters_and_contact_lists_the_customers(cast, api):
    globex_letter = LetterFactory(tenant=cast.tenant_b)  # another partner, another customer
    partner_letters = api(cast.partner_with_letter).get(LETTERS).json()
    assert [(x["partner"], x["tenant"]["name"]) for x in partner_letters] == [
        ("Initech Consulting", "Acme Corp")
    ]
    contact_letters = api(cast.contact_a).get(LETTERS).json()
    assert [x["id"] for x in contact_letters] == [cast.letter.id]
    assert [x["id"] for x in api(cast.contact_b).get(LETTERS).json()] == [globex_letter.id]
    letter = reverse("api:letter", kwargs={"letter_id": cast.letter.id})
    assert api(cast.contact_b).get(letter).status_code == 404
    assert api(cast.partner_with_letter).get(letter).json()["status"] == "active"


def test_contact_rescinds_a_letter_and_the_partner_loses_access_at_once(cast, api):
    case = file_case(cast, actor=cast.partner_with_letter)
    partner = api(cast.partner_with_letter)
    case_url = reverse("api:case", kwargs={"reference": case.reference})
    assert partner.get(case_url).status_code == 200
    rescind = reverse("api:letter-rescind", kwargs={"letter_id": cast.letter.id})
    response = api(cast.contact_a).post(rescind, {"reason": "Contract ended."}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "rescinded"
    assert partner.get(case_url).status_code == 401  # its token was revoked with the letter
    response = api(cast.partner_with_letter, session=True).get(case_url)
    assert response.status_code == 403
    assert "rescinded" in error_of(response)["message"]
    assert api(cast.contact_a).get(case_url).status_code == 200


def test_letter_rescission_refusals(cast, api):
    rescind = reverse("api:letter-rescind", kwargs={"letter_id": cast.letter.id})
    response = api(cast.partner_with_letter).post(rescind, {"reason": "No"})
    assert response.status_code == 403
    assert "authorized contacts" in error_of(response)["message"]
    assert api(cast.contact_b).post(rescind, {"reason": "No"}).status_code == 404
    assert api(cast.partner_without_letter).post(rescind, {"reason": "No"}).status_code == 403
    response = api(cast.contact_a).post(rescind, {"reason": " "})
    assert response.status_code == 400
    assert "reason" in error_of(response)["fields"]
    cast.letter.refresh_from_db()
    assert cast.letter.status == LetterOfAuthorization.Status.ACTIVE
    assert api(cast.contact_a).post(rescind, {"reason": "Done"}).status_code == 200
    assert api(cast.contact_a).post(rescind, {"reason": "Done"}).status_code == 409
