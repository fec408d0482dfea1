"""How long a signed-in session lasts: an idle timeout and an absolute lifetime, shorter
for support staff (who see every tenant) than for customers and partners.

Django's session expiry alone cannot tell an expired session from a visitor who never
signed in, and has no absolute lifetime; this middleware keeps both times in the session,
ends the session when one is passed and sends the person to sign in again, saying why.

The sign-in time is written once, here, by `session_stamp_sign_in` on `user_logged_in`
(every way of signing in goes through `django.contrib.auth.login`); it is read by this
middleware for the lifetime and by `tenants.sessions` for the cut-offs that end a user's
sessions when their access ends. A signed-in session without it is treated as ended by
both.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.urls import reverse

from supportdesk.security import API_PREFIX
from supportdesk.types import User

SIGNED_IN_AT = "supportdesk_signed_in_at"
SEEN_AT = "supportdesk_seen_at"
# The last-seen time is written at most this often, so a busy session is not saved on
# every request; the idle timeout is exact to within this.
SEEN_RESOLUTION_SECONDS = 60


@dataclass(frozen=True)
class SessionPolicy:
    idle_seconds: int
    max_seconds: int
    idle_text: str
    max_text: str


def session_policy(user: object) -> SessionPolicy:
    if getattr(user, "is_staff", False) or getattr(user, "is_superuser", False):
        idle, hours = settings.STAFF_SESSION_IDLE_MINUTES, settings.STAFF_SESSION_MAX_HOURS
    else:
        idle, hours = settings.PORTAL_SESSION_IDLE_MINUTES, settings.PORTAL_SESSION_MAX_HOURS
    return SessionPolicy(
        idle_seconds=idle * 60,
        max_seconds=hours * 60 * 60,
        idle_text=_duration(idle),
        max_text=_duration(hours * 60),
    )


def _duration(minutes: int) -> str:
    """`30 minutes`, `8 hours`, `7 days`: the largest unit that says it exactly."""
    units = (("day", 24 * 60), ("hour", 60), ("minute", 1))
    unit, size = next((unit, size) for unit, size in units if minutes % size == 0)
    count = minutes // size
    return f"{count} {unit}{'s' if count != 1 else ''}"


def session_stamp_sign_in(
    sender: object, request: HttpRequest | None, user: User, **kwargs: object
) -> None:
    """Receiver of `user_logged_in`: the session remembers when its user signed in (and
    was last seen), and the cookie and stored session end with its lifetime at the latest."""
    if request is None or not hasattr(request, "session"):
        return
    now = time.time()
    request.session[SIGNED_IN_AT] = now
    request.session[SEEN_AT] = now
    request.session.set_expiry(session_policy(user).max_seconds)


def signed_in_at(session: SessionBase) -> float | None:
    """When the session's user signed in (seconds since the epoch), None if unknown."""
    return session.get(SIGNED_IN_AT)


def expiry_reason(session: SessionBase, policy: SessionPolicy, now: float) -> str | None:
    """Why the session has ended, or None while it lasts. A session without a sign-in
    time (one from before the time was kept) has outlived any lifetime."""
    started, seen_at = signed_in_at(session), session.get(SEEN_AT)
    if started is None or now - started >= policy.max_seconds:
        return (
            f"For your security, sessions end {policy.max_text} after signing in. "
            "Please sign in again."
        )
    if seen_at is not None and now - seen_at >= policy.idle_seconds:
        return (
            f"You were signed out after {policy.idle_text} without activity. Please sign in again."
        )
    return None


class SessionLifetimeMiddleware:
    """Ends a signed-in session past its idle timeout or lifetime (see the module)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        now = time.time()
        if request.user.is_authenticated:
            policy = session_policy(request.user)
            reason = expiry_reason(request.session, policy, now)
            if reason is not None:
                return self._signed_out(request, reason)
            if now - request.session.get(SEEN_AT, 0) >= SEEN_RESOLUTION_SECONDS:
                request.session[SEEN_AT] = now
        return self.get_response(request)

    def _signed_out(self, request: HttpRequest, reason: str) -> HttpResponseBase:
        logout(request)
        if request.path_info.startswith(API_PREFIX):
            # The API answers as to anyone signed out (401), in its own error body.
            return self.get_response(request)
        messages.info(request, reason)
        admin_login = reverse("admin:login")
        if request.path_info.startswith(reverse("admin:index")):
            return redirect_to_login(request.get_full_path(), admin_login)
        if request.headers.get("HX-Request"):
            # htmx would swap the sign-in page into a fragment: have it load the page.
            response = HttpResponse(status=204)
            response["HX-Redirect"] = redirect_to_login(request.get_full_path()).url
            return response
        return redirect_to_login(request.get_full_path())
