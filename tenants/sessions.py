"""Ending every session of a user at once, whatever the session engine.

Django keeps no index of a user's sessions (the database engine stores them encoded, a
cache engine cannot be listed), so each session remembers when its user signed in, and a
user's sessions are ended by recording a cut-off: a session that signed in before it is
signed out on its next request. Sessions from before this stamp existed carry none and
count as older than any cut-off.
"""

import datetime as dt
from collections.abc import Callable, Iterable

from django.contrib.auth import SESSION_KEY, logout
from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone

from supportdesk.types import User
from tenants.models import SessionCutoff

SIGNED_IN_AT = "_signed_in_at"


def session_stamp_sign_in(
    sender: object, request: HttpRequest | None, user: User, **kwargs: object
) -> None:
    """Receiver of `user_logged_in`: every way of signing in (portal, admin, invitation,
    single sign-on) goes through `django.contrib.auth.login`, which sends it."""
    if request is not None and hasattr(request, "session"):
        request.session[SIGNED_IN_AT] = timezone.now().isoformat()


@transaction.atomic
def user_sessions_end(*, user_ids: Iterable[int]) -> None:
    """End every session the users have now; signing in again starts a fresh one."""
    now = timezone.now()
    for user_id in set(user_ids):
        SessionCutoff.objects.update_or_create(user_id=user_id, defaults={"ended_at": now})


def session_is_ended(session: SessionBase, user_id: str | int) -> bool:
    cutoff = SessionCutoff.objects.filter(user_id=user_id).values_list("ended_at", flat=True)
    ended_at = cutoff.first()
    if ended_at is None:
        return False
    signed_in_at = session.get(SIGNED_IN_AT)
    if not signed_in_at:
        return True
    return dt.datetime.fromisoformat(signed_in_at) <= ended_at


class EndedSessionsMiddleware:
    """Signs out a session its user's access ended under; after AuthenticationMiddleware,
    so the portal, the admin and the API's session authentication all see no user."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user_id = request.session.get(SESSION_KEY)
        if user_id is not None and session_is_ended(request.session, user_id):
            logout(request)
        return self.get_response(request)
