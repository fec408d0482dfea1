"""A survey link names the person it was sent to and stops working when that person
loses access to the tenant (issue 13, finding 3): a removed contact, a partner whose
letter was rescinded, an address taken off the lists."""

import pytest
from django.core import signing

from cases import services
from cases.models import SatisfactionSurvey
from cases.notify import Recipient, survey_url
from cases.services.surveys import SURVEY_SALT
from supportdesk.errors import NotFound, NotPermitted
from tenants.models import NotificationAddress
from tenants.services import contact_remove, letter_rescind
from tests.cases.helpers import file_case
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

RATINGS = {"service": 5, "timeliness": 3, "quality": 4}


def closed(cast, actor=None):
    case = file_case(cast, actor=actor)
    services.case_assign(case_id=case.id, actor=cast.engineer, owner=cast.engineer)
    services.case_propose_solution(case_id=case.id, actor=cast.engineer, body="Fixed.")
    return services.case_accept_solution(case_id=case.id, actor=cast.contact_a)


def token_of(link: str) -> str:
    return link.rstrip("/").rsplit("/", 1)[1]


def test_each_recipient_gets_a_link_of_their_own(cast):
    case = closed(cast)
    ann = survey_url(case, Recipient(email=cast.contact_a.email, user=cast.contact_a))
    listed = survey_url(case, Recipient(email="it@acme.test"))
    assert ann != listed
    assert signing.loads(token_of(ann), salt=SURVEY_SALT)["to"] == ["u", cast.contact_a.pk]
    assert signing.loads(token_of(listed), salt=SURVEY_SALT)["to"] == ["e", "it@acme.test"]


def test_removed_contacts_survey_link_stops_working(cast):
    colleague = ContactFactory(tenant=cast.tenant_a).user
    case = closed(cast)
    token = services.survey_token(case, user_id=cast.contact_a.pk)
    assert services.survey_invitation(token).case == case
    contact_remove(
        actor=colleague, contact_id=cast.contact_a.contacts.get().id, reason="Left the company."
    )
    with pytest.raises(NotPermitted, match="no longer follows Acme Corp"):
        services.survey_invitation(token)
    with pytest.raises(NotPermitted):
        services.case_answer_survey(token=token, **RATINGS)
    assert not SatisfactionSurvey.objects.exists()
    assert services.survey_invitation(services.survey_token(case, user_id=colleague.pk))


def test_rescinded_partners_survey_link_stops_working(cast):
    case = closed(cast, actor=cast.partner_with_letter)
    token = services.survey_token(case, user_id=cast.partner_with_letter.pk)
    assert services.survey_invitation(token).case == case
    letter_rescind(actor=cast.contact_a, letter_id=cast.letter.id, reason="Ended.")
    with pytest.raises(NotPermitted):
        services.case_answer_survey(token=token, **RATINGS)
    assert not SatisfactionSurvey.objects.exists()


def test_an_address_link_works_while_the_address_is_on_a_list(cast):
    case = closed(cast)
    NotificationAddress.objects.create(tenant=cast.tenant_a, email="it@acme.test")
    listed = services.survey_token(case, email="IT@acme.test")
    assert services.survey_invitation(listed).case == case
    NotificationAddress.objects.all().delete()
    with pytest.raises(NotPermitted):
        services.survey_invitation(listed)


def test_a_removed_contacts_watchers_survey_link_stops_working(cast):
    case = file_case(cast)
    services.case_watcher_add(case_id=case.id, actor=cast.contact_a, email="ex@home.test")
    colleague = ContactFactory(tenant=cast.tenant_a).user
    services.case_assign(case_id=case.id, actor=cast.engineer, owner=cast.engineer)
    services.case_close(case_id=case.id, actor=cast.engineer, reason="duplicate", note="Dup.")
    case.refresh_from_db()
    token = services.survey_token(case, email="ex@home.test")
    assert services.survey_invitation(token).case == case
    contact_remove(actor=colleague, contact_id=cast.contact_a.contacts.get().id, reason="Gone.")
    with pytest.raises(NotPermitted):
        services.survey_invitation(token)


def test_a_link_that_names_nobody_is_not_valid(cast):
    case = closed(cast)
    payload = {"case": case.id, "closed": case.closed_at.isoformat()}
    unnamed = signing.dumps(payload, salt=SURVEY_SALT, compress=True)
    with pytest.raises(NotFound):
        services.survey_invitation(unnamed)
