"""Rate limits per token (or signed-in user) and per client address, kept in the cache.

Rates are read from settings on every request (`API_THROTTLE_RATES`), so they follow
the environment and tests can change them. While the cache is unreachable they let every
request through: the cache answers as empty (supportdesk/cache_guard.py), never an error.
"""

from typing import TYPE_CHECKING

from django.conf import settings
from rest_framework.request import Request

if TYPE_CHECKING:
    from rest_framework.views import APIView
from rest_framework.throttling import SimpleRateThrottle


class _SettingsRate(SimpleRateThrottle):
    def __init__(self) -> None:
        # SimpleRateThrottle reads the rate once, in __init__: read it from settings.
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)

    def get_rate(self) -> str | None:
        return settings.API_THROTTLE_RATES.get(self.scope) if self.scope is not None else None


class TokenRateThrottle(_SettingsRate):
    """Each API token has its own budget; a session user shares one across sessions."""

    scope = "token"

    def get_cache_key(self, request: Request, view: "APIView") -> str | None:
        if not request.user or not request.user.is_authenticated:
            return None
        token = request.auth
        ident = f"token-{token.pk}" if getattr(token, "pk", None) else f"user-{request.user.pk}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AddressRateThrottle(_SettingsRate):
    """Every request from one client address, signed in or not."""

    scope = "address"

    def get_cache_key(self, request: Request, view: "APIView") -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
