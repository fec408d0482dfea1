"""Who else is on a case's staff page, and who is typing a reply there.

Presence lives in the cache (Redis in production, the file cache in the embedded mode),
never in the database: it is a few seconds old by nature and no one must wait on it. Each
case has one entry, a small dict of the staff on its page, written by the page itself when
it opens and by its poll every `POLL_SECONDS`; whoever has not polled for `TTL_SECONDS`
has left. Two pages polling at the same instant may overwrite each other's write (the
cache has no portable compare-and-set); the next poll, well within the TTL, puts the lost
one back.

When the cache fails (Redis down) presence is unknown: `presence_list` answers None, the
page says so and works as before.

Only staff pages call this, after the page's own access check: customers and partners
never see who is on a case.
"""

import logging
import time
from dataclasses import dataclass

from django.core.cache import cache

from cases.models import Case
from supportdesk.cache_guard import cache_errors_raised
from supportdesk.types import User

log = logging.getLogger(__name__)

POLL_SECONDS = 10
# Three polls missed and the viewer has gone (a closed tab says nothing).
TTL_SECONDS = 40
# The page pings "typing" at most every few seconds while the reply box has input.
TYPING_SECONDS = 15


@dataclass(frozen=True)
class Presence:
    user_id: int
    name: str
    typing: bool


def _key(case: Case) -> str:
    return f"presence:case:{case.id}"


def _display_name(user: User) -> str:
    return user.get_full_name() or user.get_username()


def _fresh(entries: object, now: float) -> dict[str, dict]:
    if not isinstance(entries, dict):
        return {}
    return {
        user_id: entry
        for user_id, entry in entries.items()
        if isinstance(entry, dict) and now - entry.get("seen", 0) < TTL_SECONDS
    }


def presence_touch(case: Case, user: User, *, typing: bool | None = None) -> bool:
    """Record that `user` is on the case's page: typing a reply (`typing=True`), done
    typing (False: the reply was sent), or as before (None: a poll keeps a recent typing
    mark). False when the cache failed."""
    now = time.time()
    try:
        with cache_errors_raised():
            entries = _fresh(cache.get(_key(case)), now)
        typed = entries.get(str(user.pk), {}).get("typing", 0)
        if typing is not None:
            typed = now if typing else 0
        entries[str(user.pk)] = {"name": _display_name(user), "seen": now, "typing": typed}
        with cache_errors_raised():
            cache.set(_key(case), entries, timeout=TTL_SECONDS)
    except Exception:  # a cache outage must not take the case page with it
        log.warning("Presence for case %s not recorded: the cache failed", case.id, exc_info=True)
        return False
    return True


def presence_list(case: Case, viewer: User) -> list[Presence] | None:
    """The other staff on the case's page, by name; None when presence is unknown."""
    now = time.time()
    try:
        # Raised, not a miss: "nobody else here" would be a claim, "unknown" is the truth.
        with cache_errors_raised():
            entries = _fresh(cache.get(_key(case)), now)
    except Exception:
        log.warning("Presence for case %s unknown: the cache failed", case.id, exc_info=True)
        return None
    return sorted(
        (
            Presence(
                user_id=int(user_id),
                name=str(entry.get("name", "")),
                typing=now - entry.get("typing", 0) < TYPING_SECONDS,
            )
            for user_id, entry in entries.items()
            if user_id != str(viewer.pk)
        ),
        key=lambda presence: presence.name.lower(),
    )
