"""Celery tasks label what they write with their name; their entries have no actor
("system")."""

from __future__ import annotations

from contextvars import Token
from typing import Any

from audit.context import Source, enter_source, leave_source

_running: dict[str, Token[Source]] = {}


def task_started(task_id: str, task: Any, **_: Any) -> None:
    _running[task_id] = enter_source(Source(task=task.name))


def task_finished(task_id: str, **_: Any) -> None:
    token = _running.pop(task_id, None)
    if token is not None:
        leave_source(token)
