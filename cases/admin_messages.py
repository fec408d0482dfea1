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
