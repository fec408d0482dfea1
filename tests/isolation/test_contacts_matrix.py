"""Isolation cells for issue 13, finding 3 and contact onboarding: access that outlives a
removal or a rescission (sessions, API tokens, watchers, survey links, invitation links) ×
the removed contact and the ex-partner; and the invitation page × bad, used, expired and
other people's links. Every cell asserts the status and that nothing changed."""

import datetime as dt

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from cases import services
from cases.models import Case, CaseEvent, CaseWatcher, Comment, SatisfactionSurvey
from notifications.models import Notification
from tenants.models import (
    AcceptedCertification,
    ApiToken,
    AuthorizedContact,
    ContactInvitation,
    LetterOfAuthorization,
    PartnerMember,
)
from tenants.services import contact_invite, contact_remove, letter_rescind
from tests.cases.helpers import file_case
from tests.factories import PASSWORD, ContactFactory, UserFactory, api_token_for
from tests.tenants.test_invitations import GOOD, delivered, link_in

pytestmark = pytest.mark.django_db

WHO = ["removed_contact", "ex_partner"]
ANSWER = {"service": "5", "timeliness": "5", "quality": "5"}


def _state() -> tuple:
    """What a refused request must leave as it was."""
    return (
        list(Case.objects.order_by("id").values_list("id", "version", "state")),
        CaseEvent.objects.count(),
        Comment.objects.count(),
        sorted(CaseWatcher.objects.values_list("case_id", "email")),
        SatisfactionSurvey.objects.count(),
        sorted(AuthorizedContact.objects.values_list("id", "is_active")),
        sorted(LetterOfAuthorization.objects.values_list("id", "status")),
        sorted(get_user_model().objects.values_list("id", "password", "last_login")),
        sorted(ContactInvitation.objects.values_list("id", "accepted_at", "ended_at")),
        sorted(ApiToken.objects.values_list("id", "revoked_at")),
    )


@pytest.fixture
def acme(cast):
    """Room on Acme's plan for a contact who will be removed (Rex) and one invited."""
    cast.tenant_a.plan.max_portal_contacts = 4
    cast.tenant_a.plan.save()
    cast.rex = ContactFactory(tenant=cast.tenant_a, user=UserFactory(username="rex@acme.test")).user
    return cast


def person(cast, who: str):
    return cast.rex if who == "removed_contact" else cast.partner_with_letter


def revoke(cast, who: str) -> None:
    if who == "removed_contact":
        contact = cast.rex.contacts.get()
        contact_remove(actor=cast.contact_a, contact_id=contact.id, reason="Left the company.")
    else:
        letter_rescind(actor=cast.contact_a, letter_id=cast.letter.id, reason="Contract ended.")


def signed_in(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def closed_case(cast, actor):
    case = file_case(cast, actor=actor)
    services.case_assign(case_id=case.id, actor=cast.engineer, owner=cast.engineer)
    services.case_propose_solution(case_id=case.id, actor=cast.engineer, body="Fixed.")
    return services.case_accept_solution(case_id=case.id, actor=cast.contact_a)


@pytest.mark.parametrize("who", WHO)
def test_session_from_before_is_signed_out_and_writes_nothing(acme, who):
    actor = person(acme, who)
    case = file_case(acme, actor=actor)
    client = signed_in(actor)
    page = reverse("portal:case", args=[case.reference])
    assert client.get(page).status_code == 200
    revoke(acme, who)
    before = _state()
    read = client.get(page)
    write = client.post(reverse("portal:case_reply", args=[case.reference]), {"body": "Still here"})
    api = client.get(reverse("api:case", args=[case.reference]))
    assert (read.status_code, write.status_code) == (302, 302)
    assert read.url.startswith(reverse("portal:sign_in"))
    assert api.status_code in {401, 403}
    assert _state() == before


@pytest.mark.parametrize("who", WHO)
def test_api_token_from_before_is_refused_and_writes_nothing(acme, who):
    actor = person(acme, who)
    case = file_case(acme, actor=actor)
    _, secret = api_token_for(actor)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get(reverse("api:me")).status_code == 200
    revoke(acme, who)
    before = _state()
    read = api.get(reverse("api:case", args=[case.reference]))
    write = api.post(
        reverse("api:case-comments", args=[case.reference]), {"body": "Hi"}, format="json"
    )
    assert (read.status_code, write.status_code) == (401, 401)
    assert _state() == before


@pytest.mark.parametrize("who", WHO)
def test_watchers_they_added_are_gone_and_get_no_more_mail(acme, who):
    actor = person(acme, who)
    case = file_case(acme)
    services.case_watcher_add(case_id=case.id, actor=actor, email="home@ex.test")
    client = signed_in(actor)
    revoke(acme, who)
    assert not case.watchers.filter(email="home@ex.test").exists()
    before = _state()
    again = client.post(
        reverse("portal:case_watcher_add", args=[case.reference]),
        {"watcher-email": "home@ex.test"},
    )
    assert again.status_code == 302
    assert again.url.startswith(reverse("portal:sign_in"))
    assert _state() == before
    services.case_comment(case_id=case.id, actor=acme.engineer, body="Confidential fix.")
    assert not Notification.objects.filter(recipient="home@ex.test", event="case.support_replied")


@pytest.mark.parametrize("who", WHO)
def test_survey_link_they_were_sent_no_longer_answers(acme, who, client):
    actor = person(acme, who)
    case = closed_case(acme, actor)
    link = reverse("portal:survey", args=[services.survey_token(case, user_id=actor.pk)])
    assert client.get(link).status_code == 200
    revoke(acme, who)
    before = _state()
    read, write = client.get(link), client.post(link, ANSWER)
    assert (read.status_code, write.status_code) == (403, 403)
    assert "no longer follows Acme Corp" in read.content.decode()
    assert _state() == before


def test_invitation_link_of_a_removed_contact_no_longer_works(acme, client):
    user = UserFactory(username="ivy@acme.test", password=None)
    contact = ContactFactory(tenant=acme.tenant_a, user=user)
    contact_invite(actor=acme.engineer, contact=contact)
    invitation_id, secret = link_in(delivered()["ivy@acme.test"][0])
    contact_remove(actor=acme.contact_a, contact_id=contact.id, reason="Never started.")
    before = _state()
    form = client.get(reverse("portal:invitation", args=[invitation_id, secret])).url
    read = client.get(form)
    write = client.post(form, {"password": GOOD, "password_again": GOOD})
    assert (read.status_code, write.status_code) == (409, 409)
    assert "removed" in read.content.decode()
    assert "_auth_user_id" not in client.session
    assert _state() == before


# --- The invitation page × links it must refuse.


@pytest.fixture
def invitations(cast):
    """Two people invited, one of Acme and one of Globex, and their links' paths."""
    cast.tenant_a.plan.max_portal_contacts = 3
    cast.tenant_a.plan.save()
    links = {}
    for name, tenant in (("ivy@acme.test", cast.tenant_a), ("gil@globex.test", cast.tenant_b)):
        contact = ContactFactory(tenant=tenant, user=UserFactory(username=name, password=None))
        contact_invite(actor=cast.engineer, contact=contact)
        links[name] = link_in(delivered()[name][0])
    return links


def _open_and_post(client: Client, invitation_id: int, secret: str) -> tuple:
    form = client.get(reverse("portal:invitation", args=[invitation_id, secret])).url
    read = client.get(form)
    write = client.post(form, {"password": GOOD, "password_again": GOOD})
    return read, write


def _refused(client: Client, invitation_id: int, secret: str, status: int, words: str) -> None:
    before = _state()
    read, write = _open_and_post(client, invitation_id, secret)
    assert (read.status_code, write.status_code) == (status, status)
    assert words in read.content.decode()
    assert "_auth_user_id" not in client.session
    assert _state() == before


@pytest.mark.parametrize(
    "secret_of",
    [
        pytest.param(lambda links: links["ivy@acme.test"][1][:-2] + "zz", id="altered"),
        pytest.param(lambda links: "x", id="garbage"),
        pytest.param(lambda links: links["gil@globex.test"][1], id="other-users-secret"),
    ],
)
def test_bad_or_borrowed_link_is_not_valid(client, invitations, secret_of):
    invitation_id, _ = invitations["ivy@acme.test"]
    _refused(client, invitation_id, secret_of(invitations), 404, "not valid")


def test_other_users_invitation_id_with_this_secret_is_not_valid(client, invitations):
    other_id, _ = invitations["gil@globex.test"]
    _, secret = invitations["ivy@acme.test"]
    _refused(client, other_id, secret, 404, "not valid")


def test_used_link_is_refused(client, invitations):
    invitation_id, secret = invitations["ivy@acme.test"]
    read, write = _open_and_post(Client(), invitation_id, secret)
    assert (read.status_code, write.status_code) == (200, 302)
    _refused(client, invitation_id, secret, 409, "already used")


def test_expired_link_is_refused(client, invitations):
    invitation_id, secret = invitations["ivy@acme.test"]
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=8)):
        _refused(client, invitation_id, secret, 409, "expired")


def test_signed_in_user_opening_someone_elses_bad_link_stays_themselves(client, cast, invitations):
    client.login(username=cast.contact_a.username, password=PASSWORD)
    invitation_id, secret = invitations["ivy@acme.test"]
    before = _state()
    form = client.get(reverse("portal:invitation", args=[invitation_id, secret[:-1]])).url
    assert client.post(form, {"password": GOOD, "password_again": GOOD}).status_code == 404
    assert client.session["_auth_user_id"] == str(cast.contact_a.pk)
    assert _state() == before


# --- Issue 16: access that a plan's rule change ends at once (accepted certifications,
# partners needing one), × the contact and the partner member it ends for. Nobody is
# removed, so no session or token is ended: every request is judged by the rules as they
# stand, and refused without a write.

RULE_CHANGED = ["contact_without_an_accepted_certification", "partner_without_certification"]


def change_the_rules(cast, who: str) -> None:
    plan = cast.tenant_a.plan
    if who == "contact_without_an_accepted_certification":
        # Ann keeps hers by name; Rex holds the factory's, which the plan no longer lists.
        AcceptedCertification.objects.create(plan=plan, name="Aprimo DAM Certified")
        cast.contact_a.contacts.update(certification="Aprimo DAM Certified")
    else:
        plan.partners_need_certification = True
        plan.save(update_fields=["partners_need_certification"])


def ruled_out(cast, who: str):
    return (
        cast.rex
        if who == "contact_without_an_accepted_certification"
        else (cast.partner_with_letter)
    )


@pytest.mark.parametrize("who", RULE_CHANGED)
def test_a_session_and_token_from_before_a_rule_change_read_and_write_nothing(acme, who):
    actor = ruled_out(acme, who)
    case = file_case(acme, actor=actor)
    client = signed_in(actor)
    _, secret = api_token_for(actor)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    page = reverse("portal:case", args=[case.reference])
    assert client.get(page).status_code == 200
    change_the_rules(acme, who)
    before = _state()
    read = client.get(page)
    write = client.post(reverse("portal:case_reply", args=[case.reference]), {"body": "Still here"})
    api_read = api.get(reverse("api:case", args=[case.reference]))
    api_write = api.post(
        reverse("api:case-comments", args=[case.reference]), {"body": "Hi"}, format="json"
    )
    assert read.status_code in {302, 403, 404}
    assert case.summary not in read.content.decode()
    assert write.status_code in {302, 403, 404}
    assert api_read.status_code in {403, 404}
    assert api_write.status_code in {403, 404}
    assert _state() == before


@pytest.mark.parametrize("who", RULE_CHANGED)
def test_access_comes_back_when_the_rule_is_met_again(acme, who):
    actor = ruled_out(acme, who)
    case = file_case(acme, actor=actor)
    change_the_rules(acme, who)
    client = signed_in(actor)
    page = reverse("portal:case", args=[case.reference])
    assert client.get(page).status_code != 200
    if who == "contact_without_an_accepted_certification":
        AcceptedCertification.objects.create(
            plan=acme.tenant_a.plan, name="Certified Administrator"
        )
    else:
        PartnerMember.objects.filter(user=acme.partner_with_letter).update(
            certification="Partner Foundations"
        )
    assert client.get(page).status_code == 200
