"""Limits on the doors to an account: failed sign-ins and password-reset requests.

Failed sign-ins are counted by django-axes in the database; password-reset requests by
the same cache-based throttles as the API (`rest_framework.throttling`), in the cache that
every process shares (Redis in production, files under var/cache otherwise). While Redis
is unreachable the reset budgets count nothing (supportdesk/cache_guard.py) and the
sign-in lockout, in the database, holds as ever.
"""

import hashlib
import logging
from typing import cast

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

logger = logging.getLogger("supportdesk.security")


def address_failures(request: HttpRequest) -> int:
    """Failed sign-ins from the request's address within the cool-off, whatever the user
    names (axes records one row per user name, address and browser)."""
    # django-axes' middleware sets the client address on the request.
    attempts = AccessAttempt.objects.filter(
        ip_address=request.axes_ip_address  # type: ignore[attr-defined]
    )
    if settings.AXES_COOLOFF_TIME is not None:
        attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


def address_locked_out(request: HttpRequest) -> bool:
    return address_failures(request) >= settings.AXES_ADDRESS_FAILURE_LIMIT


class SignInLockoutHandler(AxesDatabaseHandler):
    """axes' database handler with a second, higher limit per client address.

    axes takes the largest count over its lockout parameters and compares it with one
    AXES_FAILURE_LIMIT, so it cannot keep a per-(user, address) limit and a higher
    per-address one side by side; here the pair keeps AXES_LOCKOUT_PARAMETERS and the
    address counts against AXES_ADDRESS_FAILURE_LIMIT. A successful sign-in still resets
    only its own pair, so a sprayer cannot clear the address count with an account of their
    own."""

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        pair_failures = super().get_failures(request, credentials)
        if address_locked_out(request):
            return max(pair_failures, get_failure_limit(request, credentials))
        return pair_failures


class _PasswordResetBudget(SimpleRateThrottle):
    """One of PASSWORD_RESET_RATES, read when the request comes (tests change them)."""

    kind = ""

    def __init__(self) -> None:
        self.scope = f"password_reset_{self.kind}"
        self.rate = settings.PASSWORD_RESET_RATES[self.kind]
        self.num_requests, self.duration = self.parse_rate(self.rate)

    def ident_of(self, request: HttpRequest) -> str:
        raise NotImplementedError

    def get_cache_key(self, request: HttpRequest, view: object) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.ident_of(request)}


class _PerAddress(_PasswordResetBudget):
    kind = "address"

    def ident_of(self, request: HttpRequest) -> str:
        return self.get_ident(_as_drf(request))


class _PerEmail(_PasswordResetBudget):
    kind = "email"

    def __init__(self, email: str) -> None:
        super().__init__()
        # The address asked for is kept in the cache only as a digest.
        self.digest = hashlib.sha256(email.strip().casefold().encode()).hexdigest()

    def ident_of(self, request: HttpRequest) -> str:
        return self.digest


def _as_drf(request: HttpRequest) -> Request:
    """DRF's throttles, used here outside DRF, read only `request.META`, which a Django
    request has."""
    return cast(Request, request)


def password_reset_allowed(*, request: HttpRequest, email: str) -> bool:
    """Whether a reset email may go out for this request: within the budget of the client
    address and of the email address asked for (known or not, so the answer reveals no
    account). An allowed request uses one unit of both."""
    for budget in (_PerAddress(), _PerEmail(email)):
        if not budget.allow_request(_as_drf(request), None):  # type: ignore[arg-type]
            logger.warning(
                "Password reset refused: over the per-%s limit of %s (client %s)",
                budget.kind,
                budget.rate,
                budget.get_ident(_as_drf(request)),
            )
            return False
    return True
