from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from audit.context import audit_source


class AuditSourceMiddleware:
    """Labels every write of the request with its user and client address (read when an
    entry is written, so a user DRF signs in by token counts too)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with audit_source(request=request, task="", verb="", actor=None):
            return self.get_response(request)
