"""The staff side of invitations: the contact list says who is invited or active, and an
action resends the invitation through the service."""

import pytest
from django.urls import reverse

from tenants.models import ContactInvitation
from tenants.services import contact_invite
from tests.factories import ContactFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:tenants_authorizedcontact_changelist")


@pytest.fixture
def invited(cast):
    user = UserFactory(username="nina@globex.test", password=None)
    contact = ContactFactory(tenant=cast.tenant_b, user=user)
    contact_invite(actor=cast.engineer, contact=contact)
    return contact


def test_contact_list_shows_invited_and_active(client, cast, invited):
    client.force_login(cast.engineer)
    html = client.get(CHANGELIST).content.decode()
    assert '<td class="field-sign_in">Invited</td>' in html
    assert '<td class="field-sign_in">Active</td>' in html


def test_staff_resend_an_invitation_and_are_told_of_refusals(client, cast, invited):
    client.force_login(cast.engineer)
    active = cast.contact_a.contacts.get()
    response = client.post(
        CHANGELIST,
        {"action": "resend_invitation", "_selected_action": [invited.id, active.id]},
        follow=True,
    )
    html = response.content.decode()
    assert "Invitations sent: 1." in html
    assert "already chosen a password" in html
    assert ContactInvitation.objects.filter(contact=invited).count() == 2
    assert not ContactInvitation.objects.filter(contact=active).exists()
