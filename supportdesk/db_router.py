"""Reads that may be seconds stale go to a read replica; everything else to the primary.

With ``DATABASE_REPLICA_URL`` set, settings add the database alias ``replica``. Nothing
goes there unless a view opts in with ``@stale_reads_ok`` (reports, the dashboard, the
queue and its search, the API case list). Inside that scope a read goes to the replica
unless:

- the request is not a GET or HEAD (a POST may act on what it read);
- the scope has written (read your own write: every read after it goes to the primary);
- the primary is inside an atomic block (opened by the code, not by a test case);
- the replica is marked down (it refused a connection or failed a query within the last
  ``REPLICA_RETRY_SECONDS``), or lags more than ``REPLICA_MAX_LAG_SECONDS`` (checked at most
  every ``REPLICA_LAG_CHECK_SECONDS`` per process).

What is guaranteed when the replica goes away: a scope that finds it unreachable reads
from the primary (a refused connection costs one failed connect per process per
``REPLICA_RETRY_SECONDS``; an unreachable host at most ``REPLICA_CONNECT_TIMEOUT``). A
view whose replica query fails mid-request is run again once on the primary, provided the
scope had written nothing; otherwise the error stands (nothing is written twice).
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections
from django.template.response import TemplateResponse

REPLICA = "replica"
SAFE_METHODS = frozenset({"GET", "HEAD"})

logger = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class _Scope:
    use_replica: bool
    wrote: bool = False
    used_replica: bool = False


_scope: ContextVar[_Scope | None] = ContextVar("stale_reads_scope", default=None)


class _Health:
    """Per process: the replica is down until a moment, and its lag as last measured."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.down_until = 0.0
        self.lag_checked_at = float("-inf")
        self.lagging = False

    def reset(self) -> None:
        with self.lock:
            self.down_until = 0.0
            self.lag_checked_at = float("-inf")
            self.lagging = False


health = _Health()


def replica_configured() -> bool:
    """A replica alias that is not the primary itself. In tests the alias mirrors default
    (Django points its NAME at the test database): same server, or another engine, means
    the primary's own test database, so reads stay there. (A PostgreSQL test run whose
    replica is on another server finds no test database there: marked down, primary.)"""
    if REPLICA not in connections.settings:
        return False
    replica = connections[REPLICA].settings_dict
    primary = connections[DEFAULT_DB_ALIAS].settings_dict
    if replica.get("NAME") != primary.get("NAME"):
        return True
    same_server = all(replica.get(key) == primary.get(key) for key in ("HOST", "PORT"))
    return replica.get("ENGINE") == primary.get("ENGINE") and not same_server


def mark_replica_down(reason: object = "") -> None:
    retry = getattr(settings, "REPLICA_RETRY_SECONDS", 30)
    with health.lock:
        health.down_until = time.monotonic() + retry
    logger.warning("read replica unavailable, reading from the primary for %ss: %s", retry, reason)
    try:
        connections[REPLICA].close()
    except Exception:  # a broken connection may fail to close; it is dropped anyway
        logger.debug("closing the replica connection failed", exc_info=True)


def replica_down() -> bool:
    return time.monotonic() < health.down_until


LAG_SQL = (
    "SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
    "ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END"
)


def _lag_ok() -> bool:
    """The replica's replay lag under REPLICA_MAX_LAG_SECONDS, measured at most every
    REPLICA_LAG_CHECK_SECONDS (0 when it has replayed all it received)."""
    max_lag = getattr(settings, "REPLICA_MAX_LAG_SECONDS", 0)
    connection = connections[REPLICA]
    if not max_lag or connection.vendor != "postgresql":
        return True
    now = time.monotonic()
    if now - health.lag_checked_at < getattr(settings, "REPLICA_LAG_CHECK_SECONDS", 5):
        return not health.lagging
    with connection.cursor() as cursor:
        cursor.execute(LAG_SQL)
        lag = float(cursor.fetchone()[0] or 0)
    with health.lock:
        health.lag_checked_at = now
        health.lagging = lag > max_lag
    if health.lagging:
        logger.warning("read replica lags %.1fs (> %ss): reading from the primary", lag, max_lag)
    return not health.lagging


def replica_usable() -> bool:
    """Configured, not marked down, connectable and not lagging; a failure marks it down."""
    if not replica_configured() or replica_down():
        return False
    connection = connections[REPLICA]
    try:
        # A kept-alive connection the replica dropped is closed here, then one connect.
        connection.close_if_health_check_failed()
        if connection.connection is None:
            with connection.wrap_database_errors:
                connection.connect()
        return _lag_ok()
    except (OperationalError, InterfaceError) as error:
        mark_replica_down(error)
        return False


@contextmanager
def stale_reads() -> Iterator[_Scope]:
    """Within this block reads may go to the replica (see the module's rules). No retry:
    use `stale_reads_ok` on a whole view for the fall-back on a failed query."""
    scope = _Scope(use_replica=replica_usable())
    token = _scope.set(scope)
    try:
        yield scope
    finally:
        _scope.reset(token)


@contextmanager
def primary_only() -> Iterator[None]:
    token = _scope.set(None)
    try:
        yield
    finally:
        _scope.reset(token)


def _request_method(args: tuple, kwargs: dict) -> str | None:
    for value in (*args, *kwargs.values()):
        method = getattr(value, "method", None)
        if isinstance(method, str) and hasattr(value, "META"):
            return method.upper()
    return None


def _render(response: Any) -> Any:
    # A TemplateResponse renders after the view returns, outside the scope: render it here
    # so the querysets its template evaluates read from the replica too.
    # (An API Response holds its data already; it renders once its renderer is chosen.)
    if isinstance(response, TemplateResponse) and not response.is_rendered:
        response.render()
    return response


def stale_reads_ok(view: F) -> F:
    """Decorate a read-only view (function or method) whose reads may be seconds stale."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not replica_configured() or _request_method(args, kwargs) not in SAFE_METHODS:
            return view(*args, **kwargs)
        with stale_reads() as scope:
            if not scope.use_replica:
                return _render(view(*args, **kwargs))
            try:
                return _render(view(*args, **kwargs))
            except (OperationalError, InterfaceError) as error:
                if not scope.used_replica or scope.wrote:
                    raise
                mark_replica_down(error)
        with primary_only():
            return _render(view(*args, **kwargs))

    return wrapper  # type: ignore[return-value]


def _in_code_atomic_block() -> bool:
    connection = connections[DEFAULT_DB_ALIAS]
    return connection.in_atomic_block and any(
        not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks
    )


class ReplicaRouter:
    """Django's database router: reads to `replica` only inside an open stale-reads scope."""

    def db_for_read(self, model: type, **hints: Any) -> str:
        scope = _scope.get()
        if (
            scope is None
            or not scope.use_replica
            or scope.wrote
            or replica_down()
            or _in_code_atomic_block()
        ):
            return DEFAULT_DB_ALIAS
        scope.used_replica = True
        return REPLICA

    def db_for_write(self, model: type, **hints: Any) -> str:
        scope = _scope.get()
        if scope is not None:
            scope.wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        aliases = {DEFAULT_DB_ALIAS, REPLICA}
        if obj1._state.db in aliases and obj2._state.db in aliases:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return False if db == REPLICA else None
