"""The Redis cache, failing open: while Redis is unreachable every read is a miss and every
write is dropped, instead of an error in whichever request happened to touch the cache.

What the desk keeps in the cache is all of a kind that may be forgotten: rate-limit
counters (the API's throttles, password-reset budgets, allauth's limits and its lock),
TOTP codes already used, who is on a case's page, the active webhook endpoints. Forgetting
them for the length of an outage lets a few more requests through a limit; failing would
answer 500 to every request that counts one (issue 20). Sessions are not in the cache
(SESSION_ENGINE is the database), nor are sign-in failures (django-axes' database handler).

Django's own RedisCache with one subclass rather than django-redis and its
IGNORE_EXCEPTIONS: the same switch, without a second backend whose serialisation and key
format differ from what is stored, and with the failures logged and counted here. Only
connection and timeout errors are turned into misses; any other Redis error (a wrong
command, a full memory) still raises.

Code that must tell "nothing recorded" from "unknown" (presence) reads inside
`cache_errors_raised()`, and gets the error as before.
"""

import contextlib
import contextvars
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger("supportdesk.cache")

UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)
# One warning per process at most this often while the cache is down, with the count.
WARN_EVERY_SECONDS = 10.0
# After a failure the cache is not tried again for this long (per process).
RETRY_AFTER_SECONDS = 2.0

_raise_errors: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "cache_errors_raised", default=False
)
_lock = threading.Lock()
_failures = 0
_warned_at = -WARN_EVERY_SECONDS
_down_until = 0.0


def failure_count() -> int:
    """Cache operations this process answered without the cache (since it started)."""
    return _failures


@contextlib.contextmanager
def cache_errors_raised() -> Iterator[None]:
    """Within, an unreachable cache raises as Django's RedisCache does."""
    token = _raise_errors.set(True)
    try:
        yield
    finally:
        _raise_errors.reset(token)


def _failed(operation: str, error: Exception | None) -> None:
    """Count one operation answered without the cache; after a real failure (`error`),
    skip the cache for RETRY_AFTER_SECONDS, so an unreachable Redis costs one socket
    timeout per process per interval, not one per operation."""
    global _failures, _warned_at, _down_until
    with _lock:
        _failures += 1
        count = _failures
        now = time.monotonic()
        if error is not None:
            _down_until = now + RETRY_AFTER_SECONDS
        warn = error is not None and now - _warned_at >= WARN_EVERY_SECONDS
        if warn:
            _warned_at = now
    if warn:
        logger.warning(
            "cache unreachable (%s: %s): %s answered as a miss; %d cache operation(s) "
            "failed open in this process so far",
            type(error).__name__,
            error,
            operation,
            count,
        )


def _guarded(operation: str, fallback: Callable[..., Any]) -> Callable[..., Any]:
    """`operation` of RedisCacheClient, answering `fallback(*args)` when Redis is
    unreachable (or was, less than RETRY_AFTER_SECONDS ago)."""

    def call(self: "FailOpenRedisCacheClient", *args: Any) -> Any:
        strict = _raise_errors.get()
        if time.monotonic() < _down_until:
            if strict:
                raise RedisConnectionError("the cache failed less than a moment ago")
            _failed(operation, None)
            return fallback(*args)
        try:
            return getattr(super(FailOpenRedisCacheClient, self), operation)(*args)
        except UNREACHABLE as error:
            if strict:
                raise
            _failed(operation, error)
            return fallback(*args)

    call.__name__ = operation
    return call


def _missing(key: Any, delta: int) -> int:
    # What Django's caches answer for incr() of a key they do not hold.
    raise ValueError(f"Key '{key}' not found.")


class FailOpenRedisCacheClient(RedisCacheClient):
    # Each answer is what an empty cache that drops writes would give. `add` says it
    # stored the key: a lock or a used-code marker that cannot be kept must not lock
    # everyone out (allauth's rate-limit lock, its TOTP replay check).
    add = _guarded("add", lambda key, value, timeout: True)
    get = _guarded("get", lambda key, default: default)
    set = _guarded("set", lambda key, value, timeout: None)
    touch = _guarded("touch", lambda key, timeout: False)
    delete = _guarded("delete", lambda key: False)
    get_many = _guarded("get_many", lambda keys: {})
    has_key = _guarded("has_key", lambda key: False)
    incr = _guarded("incr", _missing)
    set_many = _guarded("set_many", lambda data, timeout: [])
    delete_many = _guarded("delete_many", lambda keys: None)
    clear = _guarded("clear", lambda: False)


class FailOpenRedisCache(RedisCache):
    """settings.CACHES backend: Django's RedisCache with the client above."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = FailOpenRedisCacheClient
