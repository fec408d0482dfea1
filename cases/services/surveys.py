"""The satisfaction survey sent on closure, answered through a signed link.

The link carries the case and the closure instant, signed with a salt of its own and
valid for `SURVEY_MAX_AGE`. Whoever holds it may answer without signing in (it comes
from the closure email), and only once: the answer is unique per case and closure.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core import signing
from django.db import transaction

from cases.models import Case, CaseEvent, SatisfactionSurvey
from cases.services.common import record_event
from cases.survey_links import SURVEY_MAX_AGE, SURVEY_SALT
from supportdesk.errors import InvalidInput, NotFound, NotPermitted, StateConflict
from tenants.access import can_act_for
from tenants.models import NotificationAddress

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
    _check_recipient_still_has_access(case, payload.get("to"))
    closed_at = dt.datetime.fromisoformat(payload["closed"])
    answer = case.surveys.filter(closed_at=closed_at).first()
    if answer is None and case.closed_at != closed_at:
        raise StateConflict(
            f"{case.reference} was reopened after this survey was sent; "
            "we will ask again when it closes."
        )
    return SurveyInvitation(case=case, closed_at=closed_at, answer=answer)


def _check_recipient_still_has_access(case: Case, to: object) -> None:
    """The link's recipient must still be on the customer's side of the case: a user who
    may act for the tenant, or an address still on the tenant's or the case's list (a
    case watcher only while whoever added it may act). A removed contact's or a rescinded
    partner's link stops working."""
    if not (isinstance(to, list) and len(to) == 2):
        raise NotFound(INVALID_LINK)
    kind, whom = to
    if kind == "u":
        user = get_user_model().objects.filter(id=whom, is_active=True).first()
        allowed = user is not None and can_act_for(user, case.tenant_id)
    elif kind == "e":
        watchers = case.watchers.filter(email=whom).select_related("added_by")
        allowed = NotificationAddress.objects.filter(
            tenant_id=case.tenant_id, email__iexact=whom
        ).exists() or any(
            w.added_by.is_staff
            or (w.added_by.is_active and can_act_for(w.added_by, case.tenant_id))
            for w in watchers
        )
    else:
        raise NotFound(INVALID_LINK)
    if not allowed:
        raise NotPermitted(
            f"This survey link no longer works: the person it was sent to no longer follows "
            f"{case.tenant.name}'s cases."
        )


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
    ratings: dict[str, Any] = {
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
