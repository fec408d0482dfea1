"""The staff case page shows the reporting contact's phone as a tel: link, to call them
back and log the call."""

import pytest

from tenants.models import AuthorizedContact
from tenants.phones import contact_phone, tel_url
from tests.cases.helpers import file_case
from tests.cases.test_case_page import open_page

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("number", "url"),
    [
        ("+1 (212) 555-0100", "tel:+12125550100"),
        ("020 7946 0000", "tel:02079460000"),
        ("ask reception", ""),
    ],
)
def test_tel_url_keeps_the_plus_and_the_digits(number, url):
    assert tel_url(number) == url


def test_case_page_links_the_reporters_phone_in_the_reported_by_facts(client, cast):
    AuthorizedContact.objects.filter(user=cast.contact_a).update(phone="+1 (212) 555-0100")
    case = file_case(cast)
    html = open_page(client, cast.engineer, case).content.decode()
    assert '<a class="sd-tel" href="tel:+12125550100">+1 (212) 555-0100</a>' in html


def test_case_page_shows_no_phone_link_when_the_contact_gave_none(client, cast):
    AuthorizedContact.objects.filter(user=cast.contact_a).update(phone="")
    html = open_page(client, cast.engineer, file_case(cast)).content.decode()
    assert "tel:" not in html


def test_contact_phone_is_the_reporters_at_this_customer_only(cast):
    AuthorizedContact.objects.filter(user=cast.contact_a).update(phone="+1 212 555 0100")
    assert contact_phone(tenant_id=cast.tenant_a.id, user_id=cast.contact_a.id) == (
        "+1 212 555 0100"
    )
    assert contact_phone(tenant_id=cast.tenant_b.id, user_id=cast.contact_a.id) == ""
    assert contact_phone(tenant_id=cast.tenant_a.id, user_id=None) == ""
