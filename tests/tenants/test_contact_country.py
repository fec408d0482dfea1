"""A contact's country picks the support number the portal shows them: staff record it
when granting or correcting the contact, through the contact services."""

import pytest

from supportdesk.errors import InvalidInput
from tenants.models import AuthorizedContact
from tenants.phones import support_phone_for
from tenants.services import contact_grant, contact_update
from tests.factories import SupportPhoneFactory, UserFactory


@pytest.fixture
def phones(cast):
    plan = cast.tenant_a.plan
    SupportPhoneFactory(plan=plan, region="United Kingdom", countries=["GB"], number="+44 800")
    SupportPhoneFactory(plan=plan, region="All other regions", countries=[], number="+1 414")


def test_granted_contact_with_a_country_sees_that_country_s_number(cast, phones):
    user = UserFactory(username="gareth@acme.test")
    contact = contact_grant(
        actor=cast.engineer,
        tenant_id=cast.tenant_a.id,
        user=user,
        certification="Certified administrator",
        country=" gb ",
    )
    assert contact.country == "GB"
    assert support_phone_for(user, cast.tenant_a).number == "+44 800"
    assert support_phone_for(cast.contact_a, cast.tenant_a).number == "+1 414"


def test_a_country_that_is_not_two_letters_is_refused_and_no_contact_is_added(cast, phones):
    user = UserFactory(username="gareth@acme.test")
    with pytest.raises(InvalidInput) as refused:
        contact_grant(
            actor=cast.engineer,
            tenant_id=cast.tenant_a.id,
            user=user,
            certification="Certified administrator",
            country="GBR",
        )
    assert "country" in refused.value.field_errors
    assert not AuthorizedContact.objects.filter(user=user).exists()


def test_correcting_a_contact_sets_and_clears_its_country(cast, phones):
    contact = AuthorizedContact.objects.get(user=cast.contact_a)
    details = {
        "actor": cast.engineer,
        "contact_id": contact.id,
        "phone": "",
        "certification": contact.certification,
        "certified_on": contact.certified_on,
        "effective_from": contact.effective_from,
    }
    contact_update(**details, country="gb")
    assert support_phone_for(cast.contact_a, cast.tenant_a).number == "+44 800"
    contact_update(**details, country="")
    assert AuthorizedContact.objects.get(id=contact.id).country == ""
    assert support_phone_for(cast.contact_a, cast.tenant_a).number == "+1 414"
