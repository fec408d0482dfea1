"""Contact onboarding: approving a contact request (or staff granting access) emails a
single-use, expiring link to choose a password; staff and the tenant's contacts resend it."""

import datetime as dt
import hashlib
import re

import pytest
import time_machine
from django.core import mail

from notifications.models import Notification
from notifications.tasks import send_pending_notifications
from supportdesk.errors import InvalidInput, NotFound, NotPermitted, StateConflict
from tenants.invitations import Onboarding, contact_invitation_open, contact_onboarding
from tenants.models import ContactInvitation, ContactRequest
from tenants.services import (
    contact_grant,
    contact_invitation_accept,
    contact_invitation_resend,
    contact_remove,
    contact_request_approve,
    contact_request_create,
)
from tests.factories import ContactFactory, UserFactory

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+/welcome/(\d+)/([\w-]+)/")
GOOD = "Quiet-Harbour-Lantern-42"


def request_contact(cast, email="nina@acme.test") -> ContactRequest:
    return contact_request_create(
        actor=cast.contact_a,
        tenant_id=cast.tenant_a.id,
        first_name="Nina",
        last_name="Newcomer",
        email=email,
        training_completed="Admin course",
    )


def delivered() -> dict[str, list]:
    send_pending_notifications()
    sent: dict[str, list] = {}
    for message in mail.outbox:
        sent.setdefault(message.to[0], []).append(message)
    mail.outbox.clear()
    return sent


def link_in(message) -> tuple[int, str]:
    found = LINK.search(message.body)
    assert found, message.body
    return int(found[1]), found[2]


@pytest.fixture
def room(cast):
    """Acme's plan allows three contacts, so one more may join."""
    cast.tenant_a.plan.max_portal_contacts = 3
    cast.tenant_a.plan.save()
    return cast


def approve(cast, email="nina@acme.test"):
    request = request_contact(cast, email)
    approved = contact_request_approve(actor=cast.engineer, request_id=request.id)
    return approved.contact


def test_approval_emails_a_link_to_choose_a_password(room, settings):
    settings.SITE_URL = "https://desk.example.com"
    contact = approve(room)
    (message,) = delivered()["nina@acme.test"]
    assert message.subject == "Your invitation to Acme Corp's support portal"
    invitation_id, secret = link_in(message)
    assert message.body.count("https://desk.example.com/welcome/") == 1
    assert secret in message.alternatives[0][0]
    invitation = ContactInvitation.objects.get(id=invitation_id)
    assert invitation.contact == contact
    assert invitation.sent_by == room.engineer
    assert invitation.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(ContactInvitation.objects.values().get())
    assert contact_onboarding(contact, invitation.created_at) == Onboarding.INVITED


def test_the_link_sets_the_password_once(room):
    contact = approve(room)
    invitation_id, secret = link_in(delivered()["nina@acme.test"][0])
    assert contact_invitation_open(invitation_id=invitation_id, token=secret).user == contact.user
    user = contact_invitation_accept(
        invitation_id=invitation_id, token=secret, password=GOOD, password_again=GOOD
    )
    assert user.check_password(GOOD)
    contact.refresh_from_db()
    assert contact_onboarding(contact, dt.datetime.now(dt.UTC)) == Onboarding.ACTIVE
    with pytest.raises(StateConflict, match="already used"):
        contact_invitation_accept(
            invitation_id=invitation_id,
            token=secret,
            password="Other-Pass-991",
            password_again="Other-Pass-991",
        )
    user.refresh_from_db()
    assert user.check_password(GOOD)


@pytest.mark.parametrize(
    ("password", "again", "field", "words"),
    [
        ("short1", "short1", "password", "too short"),
        ("password123", "password123", "password", "too common"),
        ("4815162342987", "4815162342987", "password", "entirely numeric"),
        ("nina@acme.test", "nina@acme.test", "password", "too similar"),
        (GOOD, GOOD + "x", "password_again", "differ"),
        ("", "", "password", "Choose a password"),
    ],
)
def test_weak_or_mistyped_passwords_are_refused_clearly_and_change_nothing(
    room, password, again, field, words
):
    contact = approve(room)
    invitation_id, secret = link_in(delivered()["nina@acme.test"][0])
    with pytest.raises(InvalidInput) as refused:
        contact_invitation_accept(
            invitation_id=invitation_id, token=secret, password=password, password_again=again
        )
    assert words in " ".join(refused.value.field_errors[field])
    contact.user.refresh_from_db()
    assert not contact.user.has_usable_password()
    assert ContactInvitation.objects.get(id=invitation_id).accepted_at is None
    assert contact_invitation_open(invitation_id=invitation_id, token=secret)


def test_the_link_expires_after_the_configured_days(room, settings):
    settings.CONTACT_INVITATION_DAYS = 3
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC), tick=False):
        contact = approve(room)
        invitation_id, secret = link_in(delivered()["nina@acme.test"][0])
    with time_machine.travel(dt.datetime(2026, 3, 5, 8, 59, tzinfo=dt.UTC), tick=False):
        assert contact_invitation_open(invitation_id=invitation_id, token=secret)
    with time_machine.travel(dt.datetime(2026, 3, 5, 9, 1, tzinfo=dt.UTC), tick=False):
        with pytest.raises(StateConflict, match="expired"):
            contact_invitation_accept(
                invitation_id=invitation_id, token=secret, password=GOOD, password_again=GOOD
            )
        contact.refresh_from_db()
        assert contact_onboarding(contact, dt.datetime.now(dt.UTC)) == Onboarding.EXPIRED


def test_a_resent_invitation_supersedes_the_old_link(room):
    contact = approve(room)
    old_id, old_secret = link_in(delivered()["nina@acme.test"][0])
    contact_invitation_resend(actor=room.contact_a, contact_id=contact.id)
    new_id, new_secret = link_in(delivered()["nina@acme.test"][0])
    assert new_id != old_id
    with pytest.raises(StateConflict, match="newer invitation"):
        contact_invitation_open(invitation_id=old_id, token=old_secret)
    assert contact_invitation_open(invitation_id=new_id, token=new_secret)
    contact_invitation_resend(actor=room.engineer, contact_id=contact.id)
    assert len(delivered()["nina@acme.test"]) == 1


def test_resend_is_refused_to_outsiders_and_once_a_password_is_set(room):
    contact = approve(room)
    delivered()
    for outsider in (room.contact_b, room.partner_without_letter):
        with pytest.raises(NotFound):
            contact_invitation_resend(actor=outsider, contact_id=contact.id)
    with pytest.raises(NotPermitted):
        contact_invitation_resend(actor=room.partner_with_letter, contact_id=contact.id)
    with pytest.raises(StateConflict, match="already chosen a password"):
        contact_invitation_resend(actor=room.engineer, contact_id=room.contact_a.contacts.get().id)
    assert ContactInvitation.objects.count() == 1
    assert delivered() == {}


def test_wrong_or_borrowed_secrets_are_not_valid(room):
    first = approve(room)
    first_id, first_secret = link_in(delivered()["nina@acme.test"][0])
    other = UserFactory(username="omar@globex.test", password=None)
    contact_grant(actor=room.engineer, tenant_id=room.tenant_b.id, user=other, certification="X")
    other_id, other_secret = link_in(delivered()["omar@globex.test"][0])
    for invitation_id, token in [
        (first_id, other_secret),
        (other_id, first_secret),
        (first_id, first_secret[:-1]),
        (first_id, ""),
        (999_999, first_secret),
    ]:
        with pytest.raises(NotFound, match="not valid"):
            contact_invitation_accept(
                invitation_id=invitation_id, token=token, password=GOOD, password_again=GOOD
            )
    first.user.refresh_from_db()
    other.refresh_from_db()
    assert not first.user.has_usable_password()
    assert not other.has_usable_password()


def test_removing_the_contact_revokes_the_open_invitation(room):
    contact = approve(room)
    invitation_id, secret = link_in(delivered()["nina@acme.test"][0])
    contact_remove(actor=room.contact_a, contact_id=contact.id, reason="Hired elsewhere.")
    with pytest.raises(StateConflict, match="removed"):
        contact_invitation_accept(
            invitation_id=invitation_id, token=secret, password=GOOD, password_again=GOOD
        )
    contact.user.refresh_from_db()
    assert not contact.user.has_usable_password()
    with pytest.raises(StateConflict, match="removed"):
        contact_invitation_resend(actor=room.engineer, contact_id=contact.id)


def test_someone_who_can_already_sign_in_is_told_without_a_link(room):
    user = UserFactory(username="kim@acme.test")
    contact = contact_grant(
        actor=room.engineer, tenant_id=room.tenant_a.id, user=user, certification="Admin course"
    )
    (message,) = delivered()["kim@acme.test"]
    assert message.subject == "You now have access to Acme Corp's support portal"
    assert "/welcome/" not in message.body
    assert "/sign-in/" in message.body
    assert not ContactInvitation.objects.exists()
    assert contact_onboarding(contact, dt.datetime.now(dt.UTC)) == Onboarding.ACTIVE


def test_invitation_email_is_in_the_outbox_under_its_own_event(room):
    approve(room)
    row = Notification.objects.get(recipient="nina@acme.test")
    assert row.event == "contact.invitation"
    assert row.template == "contact_invitation"


def test_contact_without_invitation_counts_as_not_invited(cast):
    user = UserFactory(username="legacy@acme.test", password=None)
    contact = ContactFactory(tenant=cast.tenant_b, user=user)
    assert contact_onboarding(contact, dt.datetime.now(dt.UTC)) == Onboarding.NOT_INVITED
