"""Which emails each user wants: every kind is on until the user turns it off."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db import transaction

from notifications.events import EVENT_KINDS, Audience, EventKind, kinds_for
from notifications.models import NotificationPreference
from supportdesk.errors import InvalidInput
from supportdesk.types import User

MANDATORY_REASON = "A case closes when this email goes unanswered, so it is always sent."


@dataclass(frozen=True)
class EmailPreference:
    """One kind of email as its user sees it on their preferences."""

    kind: EventKind
    enabled: bool

    @property
    def mandatory_reason(self) -> str:
        return "" if self.kind.optional else MANDATORY_REASON


def email_preferences_of(user: User, audience: Audience) -> list[EmailPreference]:
    """Every kind of email `user` may get as `audience`, on unless they turned it off (a
    mandatory kind is always on): one query."""
    off = set(
        NotificationPreference.objects.filter(user=user, enabled=False).values_list(
            "event", flat=True
        )
    )
    return [
        EmailPreference(kind=kind, enabled=not kind.optional or kind.name not in off)
        for kind in kinds_for(audience)
    ]


def users_who_turned_off(pairs: Iterable[tuple[int, str]]) -> set[tuple[int, str]]:
    """Of the (user id, event) pairs, those whose user turned that email off: one query."""
    pairs = set(pairs)
    if not pairs:
        return set()
    off = NotificationPreference.objects.filter(
        user_id__in={user_id for user_id, _ in pairs},
        event__in={event for _, event in pairs},
        enabled=False,
    ).values_list("user_id", "event")
    return pairs & set(off)


@transaction.atomic
def notification_preferences_set(
    *, user: User, choices: Mapping[str, bool]
) -> list[NotificationPreference]:
    """Record the user's choices; the emails the contract relies on cannot be turned off."""
    unknown = sorted(set(choices) - set(EVENT_KINDS))
    if unknown:
        raise InvalidInput(f"Unknown kinds of email: {', '.join(unknown)}.")
    mandatory = sorted(
        EVENT_KINDS[event].label
        for event, enabled in choices.items()
        if not enabled and not EVENT_KINDS[event].optional
    )
    if mandatory:
        raise InvalidInput(
            f"These emails cannot be turned off, because a case closes when they go "
            f"unanswered: {'; '.join(mandatory)}."
        )
    saved = []
    for event, enabled in choices.items():
        preference, _ = NotificationPreference.objects.update_or_create(
            user=user, event=event, defaults={"enabled": bool(enabled)}
        )
        saved.append(preference)
    return saved
