"""What ends with a person's access (issue 13, finding 3): sessions, API tokens and case
watchers, on contact removal and letter rescission. Each regression test here fails on
the main of December 2026, where access was only blocked while it was gone."""

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from cases import services as case_services
from cases.models import CaseEvent
from supportdesk.sessions import SIGNED_IN_AT
from tenants.models import ApiToken, SessionCutoff
from tenants.revocation import access_ended
from tenants.services import contact_grant, contact_remove, letter_approve, letter_rescind
from tests.cases.helpers import file_case
from tests.factories import PASSWORD, ContactFactory, LetterFactory, api_token_for

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("portal:dashboard")
ME = reverse("api:me")


def signed_in(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    assert client.get(DASHBOARD).status_code == 200
    return client


def remove(contact_user, actor=None):
    contact = contact_user.contacts.get()
    return contact_remove(actor=actor or contact_user, contact_id=contact.id, reason="Left us.")


def rescind(cast):
    return letter_rescind(actor=cast.contact_a, letter_id=cast.letter.id, reason="Ended.")


def bearer(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


@pytest.fixture(params=["db", "cache", "cached_db"])
def session_engine(request, settings):
    """The cut-off must hold whatever stores the sessions."""
    settings.SESSION_ENGINE = f"django.contrib.sessions.backends.{request.param}"
    return request.param


def test_removed_contacts_every_session_ends(cast, session_engine):
    laptop, phone = signed_in(cast.contact_a), signed_in(cast.contact_a)
    colleague = signed_in(ContactFactory(tenant=cast.tenant_a).user)
    remove(cast.contact_a, actor=cast.engineer)
    for client in (laptop, phone):
        response = client.get(DASHBOARD)
        assert response.status_code == 302
        assert response.url.startswith(reverse("portal:sign_in"))
        assert "_auth_user_id" not in client.session
    assert colleague.get(DASHBOARD).status_code == 200


def test_rescinded_partners_sessions_end_and_the_api_session_too(cast, session_engine):
    partner = signed_in(cast.partner_with_letter)
    assert partner.get(ME).status_code == 200
    rescind(cast)
    assert partner.get(ME).status_code in {401, 403}
    assert partner.get(DASHBOARD).status_code == 302


def test_signing_in_after_the_cut_off_starts_a_working_session(cast):
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)):
        old = signed_in(cast.partner_with_letter)
        rescind(cast)
    with time_machine.travel(dt.datetime(2026, 3, 3, 9, tzinfo=dt.UTC)):
        letter = LetterFactory(partner=cast.partner, tenant=cast.tenant_a, status="submitted")
        letter_approve(actor=cast.triage_lead, letter_id=letter.id)
        assert old.get(DASHBOARD).status_code == 302
        assert signed_in(cast.partner_with_letter).get(DASHBOARD).status_code == 200


def test_a_session_from_before_sign_in_times_were_kept_ends_too(cast):
    client = signed_in(cast.contact_a)
    session = client.session
    del session[SIGNED_IN_AT]
    session.save()
    remove(cast.contact_a)
    assert client.get(DASHBOARD).status_code == 302


def test_users_who_keep_no_access_lose_nothing_else(cast):
    """Removing one contact leaves the others' sessions and tokens alone."""
    _, secret = api_token_for(cast.contact_b)
    session = signed_in(cast.contact_b)
    remove(cast.contact_a)
    assert bearer(secret).get(ME).status_code == 200
    assert session.get(DASHBOARD).status_code == 200
    assert not SessionCutoff.objects.filter(user=cast.contact_b).exists()


def test_rescission_revokes_the_partners_tokens_for_good(cast):
    token, secret = api_token_for(cast.partner_with_letter)
    assert bearer(secret).get(ME).status_code == 200
    rescind(cast)
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "rescinded" in token.revoked_reason
    letter = LetterFactory(partner=cast.partner, tenant=cast.tenant_a, status="submitted")
    letter_approve(actor=cast.triage_lead, letter_id=letter.id)
    assert bearer(secret).get(ME).status_code == 401


def test_partner_who_is_also_a_contact_keeps_its_doors(cast):
    """Someone who may still act for the tenant (here as its contact) loses nothing."""
    ContactFactory(tenant=cast.tenant_a, user=cast.partner_with_letter)
    token, _ = api_token_for(cast.partner_with_letter)
    session = signed_in(cast.partner_with_letter)
    rescind(cast)
    token.refresh_from_db()
    assert token.revoked_at is None
    assert session.get(DASHBOARD).status_code == 200


def test_revocation_runs_in_the_services_transaction(cast):
    """A receiver that fails rolls the whole removal back: nothing half-done."""

    def broken(**kwargs):
        raise RuntimeError("cases could not remove the watchers")

    token, _ = api_token_for(cast.contact_a)
    access_ended.connect(broken, dispatch_uid="test.broken")
    try:
        with pytest.raises(RuntimeError):
            remove(cast.contact_a)
    finally:
        access_ended.disconnect(dispatch_uid="test.broken")
    token.refresh_from_db()
    assert token.revoked_at is None
    assert cast.contact_a.contacts.get().is_active
    assert not SessionCutoff.objects.exists()


def test_removal_takes_the_contacts_watchers_off_every_case_of_the_tenant(cast):
    case = file_case(cast)
    other = file_case(cast, actor=cast.partner_with_letter)
    case_services.case_watcher_add(case_id=case.id, actor=cast.contact_a, email="ex@home.test")
    case_services.case_watcher_add(case_id=other.id, actor=cast.contact_a, email="ex@home.test")
    kept = case_services.case_watcher_add(
        case_id=case.id, actor=cast.partner_with_letter, email="ops@acme.test"
    )
    case_services.case_cancel(case_id=other.id, actor=cast.contact_a, reason="Not needed.")
    remove(cast.contact_a, actor=cast.engineer)
    assert list(case.watchers.all()) == [kept]
    assert not other.watchers.exists()
    event = case.events.get(kind=CaseEvent.Kind.WATCHER_REMOVED)
    assert (event.actor, event.message) == (cast.engineer, "ex@home.test")


def test_rescission_takes_the_partners_watchers_off(cast):
    case = file_case(cast)
    case_services.case_watcher_add(
        case_id=case.id, actor=cast.partner_with_letter, email="pat@home.test"
    )
    mine = case_services.case_watcher_add(case_id=case.id, actor=cast.contact_a, email="a@x.test")
    rescind(cast)
    assert list(case.watchers.all()) == [mine]


def test_regrant_does_not_bring_the_watchers_back(cast):
    case = file_case(cast)
    case_services.case_watcher_add(case_id=case.id, actor=cast.contact_a, email="ex@home.test")
    remove(cast.contact_a, actor=cast.engineer)
    contact_grant(
        actor=cast.engineer, tenant_id=cast.tenant_a.id, user=cast.contact_a, certification="X"
    )
    assert not case.watchers.exists()
    assert ApiToken.objects.filter(user=cast.contact_a, revoked_at__isnull=True).count() == 0
