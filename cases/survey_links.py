"""Signed, single-use links to a closed case's satisfaction survey.

Each link names the person it was sent to (a user, or an address on the tenant's or the
case's notification list), so it stops working when that person loses access to the
tenant. Kept apart from the survey service so the closure email (`cases.notify`) can
build the link without importing the services that import it."""

import datetime as dt

from django.conf import settings
from django.core import signing
from django.urls import reverse

from cases.models import Case, State
from supportdesk.errors import StateConflict

SURVEY_SALT = "cases.survey"
SURVEY_MAX_AGE = dt.timedelta(days=30)


def survey_token(case: Case, *, user_id: int | None = None, email: str = "") -> str:
    """The token for one recipient: a user (by default the reporter) or an address."""
    if case.state != State.CLOSED or case.closed_at is None:
        raise StateConflict(f"{case.reference} is open; the survey follows its closure.")
    to: list[str | int | None]
    if email and user_id is None:
        to = ["e", email.strip().lower()]
    else:
        to = ["u", user_id if user_id is not None else case.reporter_id]
    return signing.dumps(
        {"case": case.id, "closed": case.closed_at.isoformat(), "to": to},
        salt=SURVEY_SALT,
        compress=True,
    )


def survey_link(case: Case, *, user_id: int | None = None, email: str = "") -> str:
    """The absolute link the closure email carries to one recipient."""
    token = survey_token(case, user_id=user_id, email=email)
    path = reverse("portal:survey", kwargs={"token": token})
    return f"{settings.SITE_URL}{path}"
