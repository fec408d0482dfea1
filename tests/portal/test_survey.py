"""The satisfaction survey page, reached without signing in."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from cases import services
from cases.models import SatisfactionSurvey
from tests.cases.test_lifecycle import solution_proposed

pytestmark = pytest.mark.django_db

ANSWER = {"service": "5", "timeliness": "4", "quality": "3", "comment": "Quick and kind."}


@pytest.fixture
def closed_case(cast):
    case = solution_proposed(cast)
    return services.case_accept_solution(case_id=case.id, actor=cast.contact_a)


def survey_url(case):
    return reverse("portal:survey", args=[services.survey_token(case)])


def test_survey_opens_without_sign_in_with_labelled_ratings(client, closed_case):
    response = client.get(survey_url(closed_case))
    html = response.content.decode()
    assert response.status_code == 200
    assert closed_case.reference in html
    for legend in ("service you received", "how quickly", "quality of the solution"):
        assert legend in html
    assert 'name="manager_contact"' in html
    assert "csrfmiddlewaretoken" in html
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_answer_is_saved_and_the_link_then_shows_thanks(client, closed_case):
    url = survey_url(closed_case)
    response = client.post(url, {**ANSWER, "manager_contact": "on"})
    assert response.url == url
    survey = SatisfactionSurvey.objects.get()
    assert (survey.service, survey.timeliness, survey.quality) == (5, 4, 3)
    assert survey.manager_contact
    html = client.get(url).content.decode()
    assert "Thank you for your feedback" in html
    assert "A support manager will contact you" in html
    again = client.post(url, ANSWER)
    assert "can't be used again" in again.content.decode()
    assert SatisfactionSurvey.objects.count() == 1


def test_missing_ratings_come_back_on_their_fields(client, closed_case):
    response = client.post(survey_url(closed_case), {"service": "5"})
    assert response.status_code == 400
    html = response.content.decode()
    # Under each of the two fields, and in the error summary's link to each.
    assert html.count("Choose a rating from 1 (poor) to 5 (excellent).") == 4
    assert 'href="#id_timeliness"' in html
    assert 'href="#id_quality"' in html
    assert "<title>Error: " in html
    assert not SatisfactionSurvey.objects.exists()


def test_tampered_link_is_404_with_a_clear_page(client, closed_case):
    response = client.get(reverse("portal:survey", args=["not-a-real-token"]))
    assert response.status_code == 404
    assert "not valid" in response.content.decode()


def test_expired_link_says_so(client, closed_case):
    url = survey_url(closed_case)
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=31)):
        response = client.get(url)
    assert response.status_code == 409
    assert "expired" in response.content.decode()


def test_signed_in_customer_sees_the_answer_on_the_case_page(client, cast, closed_case, sign_in):
    client.post(survey_url(closed_case), ANSWER)
    sign_in(cast.contact_a)
    html = client.get(reverse("portal:case", args=[closed_case.reference])).content.decode()
    assert "You rated service 5/5, timeliness 4/5 and quality 3/5." in html
