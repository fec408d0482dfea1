"""The satisfaction survey sent on closure, answered through a signed link.

The link carries the case and the closure instant, signed with a salt of its own and
valid for `SURVEY_MAX_AGE`. Whoever holds it may answer without signing in (it comes
from the closure email), and only once: the answer is unique per case and closure.
"""

import datetime as dt
from dataclasses import dataclass

from django.core import signing
from django.db import transaction

from cases.models import Case, CaseEvent, SatisfactionSurvey
from cases.services.common import record_event
from cases.survey_links import SURVEY_MAX_AGE, SURVEY_SALT
from supportdesk.errors import InvalidInput, NotFound, StateConflict

INVALID_LINK = "This survey link is not valid. Please use the link from the email."
RATING_FIELDS = ("service", "timeliness", "quality")


@dataclass(frozen=True)
class SurveyInvitation:
    """What a survey link points at: the case and the closure it asks about."""

    case: Case
    closed_at: dt.datetime
    answer: SatisfactionSurvey | None

    @property
    def is_answered(self) -> bool:
        return self.answer is not None


def survey_invitation(token: str, *, lock: bool = False) -> SurveyInvitation:
    """The case and closure a token names; refuses forged, expired and stale links."""
    try:
        payload = signing.loads(token, salt=SURVEY_SALT, max_age=SURVEY_MAX_AGE)
    except signing.SignatureExpired:
        raise StateConflict(
            "This survey link has expired. Thank you all the same: you can still tell us "
            "how we did by replying to any case email."
        ) from None
    except signing.BadSignature:
        raise NotFound(INVALID_LINK) from None
    cases = Case.objects.select_related("tenant", "owner")
    locked = cases.select_for_update(of=("self",)) if lock else cases
    case = locked.filter(id=payload["case"]).first()
    if case is None:
        raise NotFound(INVALID_LINK)
    closed_at = dt.datetime.fromisoformat(payload["closed"])
    answer = case.surveys.filter(closed_at=closed_at).first()
    if answer is None and case.closed_at != closed_at:
        raise StateConflict(
            f"{case.reference} was reopened after this survey was sent; "
            "we will ask again when it closes."
        )
    return SurveyInvitation(case=case, closed_at=closed_at, answer=answer)


def _rating(value: object, field: str, errors: dict[str, list[str]]) -> int:
    try:
        rating = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        errors[field] = ["Choose a rating from 1 (poor) to 5 (excellent)."]
    return rating


@transaction.atomic
def case_answer_survey(
    *,
    token: str,
    service: object,
    timeliness: object,
    quality: object,
    comment: str = "",
    manager_contact: bool = False,
) -> SatisfactionSurvey:
    """Record the answer to a closure's survey, once; a request for a manager's call is
    put on the case's timeline for staff."""
    # The case row lock makes a double submit wait, then find the first answer.
    invitation = survey_invitation(token, lock=True)
    if invitation.is_answered:
        raise StateConflict("This survey has already been answered. Thank you for your feedback.")
    errors: dict[str, list[str]] = {}
    ratings = {
        field: _rating(value, field, errors)
        for field, value in zip(RATING_FIELDS, (service, timeliness, quality), strict=True)
    }
    comment = (comment or "").strip()
    if len(comment) > 5000:
        errors["comment"] = ["Keep the comment under 5,000 characters."]
    if errors:
        raise InvalidInput("Please rate each of the three questions.", field_errors=errors)
    survey = SatisfactionSurvey.objects.create(
        case=invitation.case,
        closed_at=invitation.closed_at,
        comment=comment,
        manager_contact=bool(manager_contact),
        **ratings,
    )
    record_event(
        invitation.case,
        None,
        CaseEvent.Kind.SURVEY_ANSWERED,
        public=False,
        message=(
            f"Survey: service {survey.service}, timeliness {survey.timeliness}, "
            f"quality {survey.quality}"
            + ("; asks for a manager to call" if survey.manager_contact else "")
        ),
        manager_contact=survey.manager_contact,
        **ratings,
    )
    return survey
