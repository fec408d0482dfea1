"""The invitation page and the contacts page's invitation states, through the portal."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from tenants.models import ContactInvitation
from tenants.services import contact_invite
from tests.factories import ContactFactory, UserFactory
from tests.tenants.test_invitations import GOOD, delivered, link_in

pytestmark = pytest.mark.django_db

CONTACTS = reverse("portal:contacts")


@pytest.fixture
def invited(cast):
    """A contact of Acme just invited, and the path of the link in the email."""
    cast.tenant_a.plan.max_portal_contacts = 3
    cast.tenant_a.plan.save()
    user = UserFactory(username="nina@acme.test", first_name="Nina", password=None)
    contact = ContactFactory(tenant=cast.tenant_a, user=user)
    contact_invite(actor=cast.engineer, contact=contact)
    invitation_id, secret = link_in(delivered()["nina@acme.test"][0])
    return contact, reverse("portal:invitation", args=[invitation_id, secret])


def test_link_moves_the_secret_out_of_the_address_then_sets_the_password(client, invited):
    contact, path = invited
    response = client.get(path)
    assert response.status_code == 302
    assert response.url.endswith("/set-password/")
    assert path.split("/")[-2] not in response.url
    page = client.get(response.url)
    html = page.content.decode()
    assert page.status_code == 200
    assert "Welcome, Nina" in html
    assert "Acme Corp" in html
    assert page["Cache-Control"].startswith("max-age=0")
    done = client.post(response.url, {"password": GOOD, "password_again": GOOD})
    assert done.status_code == 302
    assert done.url == reverse("portal:dashboard")
    dashboard = client.get(done.url)
    assert dashboard.status_code == 200
    assert "you are signed in" in dashboard.content.decode()
    contact.user.refresh_from_db()
    assert contact.user.check_password(GOOD)


def test_weak_password_is_refused_with_the_reason(client, invited):
    contact, path = invited
    form = client.get(path).url
    response = client.post(form, {"password": "password", "password_again": "password"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "This password is too common." in html
    assert "Please choose another password." in html
    contact.user.refresh_from_db()
    assert not contact.user.has_usable_password()


def test_used_link_says_so(client, invited):
    _, path = invited
    client.post(client.get(path).url, {"password": GOOD, "password_again": GOOD})
    client.post(reverse("portal:sign_out"))
    again = client.get(client.get(path).url)
    assert again.status_code == 409
    assert "already used" in again.content.decode()


def test_expired_link_says_so(client, invited):
    _, path = invited
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=8)):
        page = client.get(client.get(path).url)
    assert page.status_code == 409
    assert "expired" in page.content.decode()


def test_forged_link_is_not_found(client, invited):
    _, path = invited
    page = client.get(client.get(path[:-3] + "xx/").url)
    assert page.status_code == 404
    assert "not valid" in page.content.decode()


def test_set_password_page_without_a_link_is_not_found(client, invited):
    contact, _ = invited
    invitation = contact.invitations.get()
    page = client.get(reverse("portal:invitation", args=[invitation.id, "set-password"]))
    assert page.status_code == 404


def test_contacts_page_shows_who_is_invited_or_active_and_resends(client, cast, sign_in, invited):
    contact, path = invited
    sign_in(cast.contact_a)
    html = client.get(CONTACTS).content.decode()
    assert 'data-onboarding="invited"' in html
    assert 'data-onboarding="active"' in html
    response = client.post(
        reverse("portal:contact_invitation_resend", args=[contact.id]), follow=True
    )
    assert "A new invitation is on its way to nina@acme.test" in response.content.decode()
    assert ContactInvitation.objects.filter(contact=contact).count() == 2
    assert "nina@acme.test" in delivered()
    superseded = client.get(client.get(path).url)
    assert superseded.status_code == 409
    assert "newer invitation" in superseded.content.decode()


def test_contacts_page_shows_an_expired_invitation(client, cast, sign_in, invited):
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=8)):
        # Signed in then: a session does not outlive the portal's session lifetime.
        sign_in(cast.contact_a)
        html = client.get(CONTACTS).content.decode()
    assert 'data-onboarding="expired"' in html
    assert "Invitation expired" in html


def test_partner_cannot_resend_a_tenants_invitation(client, cast, sign_in, invited):
    contact, _ = invited
    sign_in(cast.partner_with_letter)
    response = client.post(reverse("portal:contact_invitation_resend", args=[contact.id]))
    assert response.status_code == 403
    assert ContactInvitation.objects.filter(contact=contact).count() == 1
