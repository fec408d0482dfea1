"""What the plan, tenant and calendar admins say after recomputing due times and ranks."""

from django.contrib import admin, messages
from django.http import HttpRequest


def report_recompute(
    model_admin: admin.ModelAdmin, request: HttpRequest, outcome: tuple[int, int]
) -> None:
    done, left = outcome
    if not done and not left:
        return
    text = f"Due times of {done} open case{'s' if done != 1 else ''} recomputed"
    if left:
        text += f"; {left} more follow within a minute"
    model_admin.message_user(request, text + ".", messages.INFO)


def report_rerank(model_admin: admin.ModelAdmin, request: HttpRequest, moved: int) -> None:
    if moved:
        cases = f"{moved} open case{'s' if moved != 1 else ''}"
        text = f"{cases} moved in the queue to follow the new priority ranks."
        model_admin.message_user(request, text, messages.INFO)


def warn_unranked(
    model_admin: admin.ModelAdmin, request: HttpRequest, codes: dict[str, int]
) -> None:
    """Open cases whose priority the plan no longer defines sort last: say so, by code."""
    if not codes:
        return
    total = sum(codes.values())
    listed = ", ".join(f"{code}: {count}" for code, count in codes.items())
    model_admin.message_user(
        request,
        f"{total} open case{'s' if total != 1 else ''} {'have' if total != 1 else 'has'} a "
        f"priority the plan does not define ({listed}): they sort last in the queue and have "
        "no SLA targets until their priority is changed.",
        messages.WARNING,
    )
