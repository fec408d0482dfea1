"""One error body for every refusal the API gives, whatever raised it.

    {"error": {"code": "not_found", "message": "No such case.", "fields": {}},
     "api_version": "1"}

`fields` maps a request field (or `__all__`) to its messages. Service errors keep their
status, code and message; DRF's and Django's own errors are mapped to the same shape;
anything unexpected is logged and answered as a 500 in the same shape, never a page.
"""

import logging
from collections.abc import Mapping, Sequence

from django.core import signals
from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import set_rollback

from supportdesk.api import API_VERSION
from supportdesk.errors import ServiceError, VersionConflict

logger = logging.getLogger("supportdesk.api")

NON_FIELD = "__all__"


class PreconditionRequired(exceptions.APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_code = "precondition_required"
    default_detail = (
        "Send the ETag you last read (of the case or request) in an If-Match header, so a "
        "change you have not seen is not overwritten."
    )


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"
    default_detail = "The request body is too large."


def error_body(code: str, message: str, fields: Mapping[str, list[str]] | None = None) -> dict:
    return {
        "error": {"code": code, "message": message, "fields": dict(fields or {})},
        "api_version": API_VERSION,
    }


def _flatten(detail: object, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested validation detail as `{"field": [...], "items.0.name": [...]}`."""
    if isinstance(detail, Mapping):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = NON_FIELD if key == api_settings.NON_FIELD_ERRORS_KEY else str(key)
            for field, messages in _flatten(value, f"{prefix}.{name}" if prefix else name).items():
                flat.setdefault(field, []).extend(messages)
        return flat
    if isinstance(detail, Sequence) and not isinstance(detail, str):
        if all(not isinstance(item, Mapping | list) for item in detail):
            return {prefix or NON_FIELD: [str(item) for item in detail]}
        flat = {}
        for index, item in enumerate(detail):
            if item:
                flat.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    return {prefix or NON_FIELD: [str(detail)]}


def _validation_message(fields: Mapping[str, list[str]]) -> str:
    named = [field for field in fields if field != NON_FIELD]
    if not named:
        return " ".join(fields.get(NON_FIELD, [])) or "The request is not valid."
    return f"Please correct these fields: {', '.join(named)}."


def _api_exception_body(exc: exceptions.APIException) -> dict:
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        return error_body("invalid", _validation_message(fields), fields)
    detail = exc.detail
    if isinstance(detail, list | dict):
        fields = _flatten(detail)
        return error_body(exc.default_code, _validation_message(fields), fields)
    code = getattr(detail, "code", None) or exc.default_code
    return error_body(str(code), str(detail))


def exception_handler(exc: Exception, context: Mapping[str, object]) -> Response:
    """DRF's EXCEPTION_HANDLER: every exception an API view raises becomes the error body."""
    headers: dict[str, str] = {}
    if isinstance(exc, VersionConflict):
        status_code, body = 412, error_body("precondition_failed", exc.message)
    elif isinstance(exc, ServiceError):
        status_code, body = exc.status_code, error_body(exc.code, exc.message, exc.field_errors)
    elif isinstance(exc, Http404):
        status_code, body = 404, error_body("not_found", "Not found.")
    elif isinstance(exc, PermissionDenied):
        status_code = 403
        body = error_body("permission_denied", str(exc) or "You may not do this.")
    elif isinstance(exc, RequestDataTooBig):
        status_code, body = 413, _api_exception_body(PayloadTooLarge())
    elif isinstance(exc, SuspiciousOperation):
        status_code, body = 400, error_body("bad_request", "The request could not be read.")
    elif isinstance(exc, exceptions.APIException):
        status_code, body = exc.status_code, _api_exception_body(exc)
        auth_header = getattr(exc, "auth_header", None)
        if auth_header:
            headers["WWW-Authenticate"] = auth_header
        wait = getattr(exc, "wait", None)
        if wait:
            headers["Retry-After"] = str(int(wait))
    else:
        request = getattr(context.get("request"), "_request", None)
        logger.error("API request failed", exc_info=exc)
        # Lets Django's test client re-raise it, as it does for any unhandled error.
        signals.got_request_exception.send(sender=None, request=request)
        status_code = 500
        body = error_body("server_error", "Something went wrong on our side; it is logged.")
    set_rollback()
    return Response(body, status=status_code, headers=headers)


@csrf_exempt
def not_found(request: HttpRequest, *args: object, **kwargs: object) -> JsonResponse:
    """Any address under the API that names no endpoint (a POST too: it changes nothing,
    so it needs no CSRF check, and must not answer with the HTML refusal page)."""
    return JsonResponse(error_body("not_found", "No such endpoint."), status=404)
