"""What the load comparison measures, shared by SupportDesk's and django-helpdesk's locustfiles
(bench/locustfile.py, bench/helpdesk/locustfile.py; summarised by bench/load_compare.py).

Sign-ins are measured apart: a request named "sign-in: …" counts only in the sign-in line.
Every other request counts once the measuring window is open, which is when all LOAD_USERS
simulated users have finished signing in (`user_ready()` at the end of their on_start), so
no step's figures include the start, when every user hashes a password at once. The window
lasts LOAD_MEASURE_SECONDS (then the run stops itself, letting every user finish the request
it is in: the load scripts give locust a --stop-timeout; its -t is only a guard).

At the end it writes LOAD_SUMMARY (JSON): requests, failures, req/s and p50/p95/p99 over the
window, per request name as well, and the sign-ins apart. Locust's own --csv stats (whole run,
sign-ins included) are written beside it by the load scripts.
"""

from __future__ import annotations

import json
import os
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import gevent
from locust import events
from locust.env import Environment

SIGN_IN = "sign-in: "
USERS = int(os.environ.get("LOAD_USERS", "0"))
MEASURE_SECONDS = float(os.environ.get("LOAD_MEASURE_SECONDS", "60"))
SUMMARY = os.environ.get("LOAD_SUMMARY", "")

_state: dict[str, Any] = {
    "ready": 0,
    "opened": None,
    "stopping": None,
    "closed": None,
    "environment": None,
    "in_window": 0,
}
_times: dict[str, list[float]] = defaultdict(list)
_failures: dict[str, int] = defaultdict(int)
_sign_ins: list[float] = []
_sign_in_failures: list[int] = [0]
_before_window: list[int] = [0]


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile (as locust's own tables round, but exact)."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))], 1)


def user_ready() -> None:
    """Called by each simulated user once signed in; the last one opens the window."""
    _state["ready"] += 1
    if _state["opened"] is None and _state["ready"] >= max(USERS, 1):
        _state["opened"] = time.monotonic()
        environment: Environment | None = _state["environment"]
        if environment is not None and environment.runner is not None:
            gevent.spawn_later(MEASURE_SECONDS, environment.runner.quit)


@events.init.add_listener
def _init(environment: Environment, **_: Any) -> None:
    _state["environment"] = environment


@events.request.add_listener
def _request(name: str, response_time: float, exception: object, **_: Any) -> None:
    if name.startswith(SIGN_IN):
        _sign_ins.append(response_time)
        _sign_in_failures[0] += exception is not None
        return
    if _state["opened"] is None or _state["closed"] is not None:
        _before_window[0] += 1
        return
    _times[name].append(response_time)
    _failures[name] += exception is not None
    if _state["stopping"] is None:
        _state["in_window"] += 1


@events.test_stopping.add_listener
def _stopping(**_: Any) -> None:
    _state["stopping"] = time.monotonic()


@events.test_stop.add_listener
def _stop(**_: Any) -> None:
    if _state["closed"] is None:
        _state["closed"] = time.monotonic()
    if not SUMMARY:
        return
    opened, stopping = _state["opened"], _state["stopping"] or _state["closed"]
    seconds = (stopping - opened) if opened is not None else 0.0
    everything = [t for times in _times.values() for t in times]
    failures = sum(_failures.values())
    summary = {
        "users": USERS,
        "signed_in_users": _state["ready"],
        "window_s": round(seconds, 1),
        "requests": len(everything),
        "failures": failures,
        # Throughput: what completed within the window. Latencies and errors: that, and the
        # requests the users were still in when it closed (locust's --stop-timeout lets them
        # finish), so that slow requests are not dropped from the tail.
        "rps": round(_state["in_window"] / seconds, 2) if seconds else 0.0,
        "p50_ms": percentile(everything, 0.50),
        "p95_ms": percentile(everything, 0.95),
        "p99_ms": percentile(everything, 0.99),
        "requests_before_window": _before_window[0],
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
        "by_name": {
            name: {
                "requests": len(times),
                "failures": _failures[name],
                "p50_ms": percentile(times, 0.50),
                "p95_ms": percentile(times, 0.95),
            }
            for name, times in sorted(_times.items())
        },
        "sign_ins": {
            "requests": len(_sign_ins),
            "failures": _sign_in_failures[0],
            "p50_ms": percentile(_sign_ins, 0.50),
            "p95_ms": percentile(_sign_ins, 0.95),
            "max_ms": round(max(_sign_ins), 1) if _sign_ins else None,
        },
    }
    Path(SUMMARY).write_text(json.dumps(summary, indent=2), encoding="utf-8")
