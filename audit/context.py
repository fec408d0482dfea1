"""Where a write comes from, for the audit entries it produces.

Model signals carry no request, so the source of the current unit of work (a request, a
Celery task) is kept for its duration in a context variable and read when an entry is
written. It only labels entries; nothing behaves differently because of it. A service
that knows the domain verb of its writes names it with `audited`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass, replace
from typing import Any, ParamSpec, TypeVar

from django.http import HttpRequest

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class Source:
    request: HttpRequest | None = None
    task: str = ""
    verb: str = ""
    # Who a write is for when no request says so: the sender of a routed email.
    actor: Any = None


_source: ContextVar[Source] = ContextVar("audit_source", default=Source())  # noqa: B039


def current_source() -> Source:
    return _source.get()


def enter_source(source: Source) -> Token[Source]:
    """Begin a unit of work (a Celery task) whose start and end are separate callbacks."""
    return _source.set(source)


def leave_source(token: Token[Source]) -> None:
    _source.reset(token)


@contextmanager
def audit_source(**changes: Any) -> Iterator[None]:
    """Label the entries written inside with a request, a task name, a verb or an actor."""
    token = _source.set(replace(_source.get(), **changes))
    try:
        yield
    finally:
        _source.reset(token)


def audited(verb: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Name the domain verb ("letter approved") of the entries a service writes."""

    def decorate(service: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(service)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            with audit_source(verb=verb):
                return service(*args, **kwargs)

        return wrapper

    return decorate
