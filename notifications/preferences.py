"""Which emails each user wants: every kind is on until the user turns it off."""

from collections.abc import Iterable, Mapping

from django.db import transaction

from notifications.events import EVENT_KINDS
from notifications.models import NotificationPreference
from supportdesk.errors import InvalidInput
from supportdesk.types import User


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
