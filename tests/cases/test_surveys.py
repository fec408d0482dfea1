"""The satisfaction survey: signed single-use links and the answer."""

import datetime as dt

import pytest
import time_machine
from django.core import signing

from cases import services
from cases.models import CaseEvent, SatisfactionSurvey
from cases.services.surveys import SURVEY_SALT
from supportdesk.errors import InvalidInput, NotFound, StateConflict
from tests.cases.test_lifecycle import solution_proposed

pytestmark = pytest.mark.django_db

RATINGS = {"service": 5, "timeliness": 3, "quality": 4}


def closed(cast):
    case = solution_proposed(cast)
    return services.case_accept_solution(case_id=case.id, actor=cast.contact_a)


def test_survey_link_is_absolute_and_names_the_closure(cast, settings):
    settings.SITE_URL = "https://desk.example.com"
    case = closed(cast)
    link = services.survey_link(case)
    assert link.startswith("https://desk.example.com/survey/")
    invitation = services.survey_invitation(link.rstrip("/").rsplit("/", 1)[1])
    assert invitation.case == case
    assert invitation.closed_at == case.closed_at
    assert not invitation.is_answered


def test_open_case_has_no_survey_yet(cast):
    with pytest.raises(StateConflict):
        services.survey_token(solution_proposed(cast))


def test_answer_is_recorded_once_with_an_internal_timeline_note(cast):
    case = closed(cast)
    token = services.survey_token(case)
    survey = services.case_answer_survey(
        token=token, comment=" Great work ", manager_contact=True, **RATINGS
    )
    assert (survey.service, survey.timeliness, survey.quality) == (5, 3, 4)
    assert survey.comment == "Great work"
    assert survey.manager_contact
    event = case.events.get(kind=CaseEvent.Kind.SURVEY_ANSWERED)
    assert not event.public
    assert "manager" in event.message
    with pytest.raises(StateConflict):
        services.case_answer_survey(token=token, **RATINGS)
    assert SatisfactionSurvey.objects.count() == 1


def test_ratings_must_be_one_to_five_and_nothing_is_saved_otherwise(cast):
    token = services.survey_token(closed(cast))
    with pytest.raises(InvalidInput) as error:
        services.case_answer_survey(token=token, service=0, timeliness="", quality="6")
    assert set(error.value.field_errors) == {"service", "timeliness", "quality"}
    assert not SatisfactionSurvey.objects.exists()


def test_forged_or_tampered_link_is_not_found(cast):
    case = closed(cast)
    forged = signing.dumps({"case": case.id, "closed": case.closed_at.isoformat()}, salt="other")
    for token in (forged, services.survey_token(case)[:-2] + "xx", "nonsense"):
        with pytest.raises(NotFound):
            services.survey_invitation(token)


def test_link_expires_after_thirty_days(cast):
    token = services.survey_token(closed(cast))
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=31)
    with time_machine.travel(later), pytest.raises(StateConflict) as error:
        services.case_answer_survey(token=token, **RATINGS)
    assert "expired" in error.value.message


def test_link_of_a_reopened_case_is_stale_and_the_next_closure_gets_its_own(cast):
    case = closed(cast)
    old_token = services.survey_token(case)
    services.case_reopen(case_id=case.id, actor=cast.contact_a, reason="It came back.")
    with pytest.raises(StateConflict) as error:
        services.survey_invitation(old_token)
    assert "reopened" in error.value.message
    case = services.case_cancel(case_id=case.id, actor=cast.contact_a, reason="Fine now.")
    services.case_answer_survey(token=services.survey_token(case), **RATINGS)
    assert case.surveys.count() == 1


def test_answered_link_still_opens_to_show_the_answer(cast):
    case = closed(cast)
    token = services.survey_token(case)
    services.case_answer_survey(token=token, **RATINGS)
    services.case_reopen(case_id=case.id, actor=cast.contact_a, reason="Again.")
    assert services.survey_invitation(token).is_answered


def test_survey_token_is_signed_with_its_own_salt(cast):
    token = services.survey_token(closed(cast))
    assert signing.loads(token, salt=SURVEY_SALT)["case"]
