"""Signed, single-use links to a closed case's satisfaction survey.

Kept apart from the survey service so the closure email (`cases.notify`) can build the
link without importing the services that import it."""

import datetime as dt

from django.conf import settings
from django.core import signing
from django.urls import reverse

from cases.models import Case, State
from supportdesk.errors import StateConflict

SURVEY_SALT = "cases.survey"
SURVEY_MAX_AGE = dt.timedelta(days=30)


def survey_token(case: Case) -> str:
    if case.state != State.CLOSED or case.closed_at is None:
        raise StateConflict(f"{case.reference} is open; the survey follows its closure.")
    return signing.dumps(
        {"case": case.id, "closed": case.closed_at.isoformat()}, salt=SURVEY_SALT, compress=True
    )


def survey_link(case: Case) -> str:
    """The absolute link the closure email carries."""
    path = reverse("portal:survey", kwargs={"token": survey_token(case)})
    return f"{settings.SITE_URL}{path}"
