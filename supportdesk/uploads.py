"""Upload limits at the door: a request that would bring in more than the desk takes is
refused before its body is read (by its Content-Length) or while its files stream in,
so an oversized upload never reaches a temporary file, let alone the media storage.

The limits are settings: `ATTACHMENT_MAX_BYTES` per file, `ATTACHMENT_MAX_FILES` and
`ATTACHMENT_MAX_REQUEST_BYTES` per request. What a case may hold in all (the plan's
quotas) is the attachment service's rule (`cases.services.attachments.store_attachments`).
"""

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest, HttpResponse, JsonResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat

from supportdesk.api.errors import error_body

API_PREFIX = "/api/"


def files_limit_text(
    *,
    max_files: int | None = None,
    max_bytes: int | None = None,
    max_request_bytes: int | None = None,
) -> str:
    """The limits in words, as the forms and the refusals say them (the settings' values
    unless given)."""
    max_files = settings.ATTACHMENT_MAX_FILES if max_files is None else max_files
    max_bytes = settings.ATTACHMENT_MAX_BYTES if max_bytes is None else max_bytes
    if max_request_bytes is None:
        max_request_bytes = settings.ATTACHMENT_MAX_REQUEST_BYTES
    return (
        f"up to {max_files} files, {filesizeformat(max_bytes)} each and "
        f"{filesizeformat(max_request_bytes)} in all"
    )


class UploadLimiter(FileUploadHandler):
    """Counts the files of a multipart request and the bytes of each and of all as they
    stream in, and stops reading the request the moment one passes its limit. It goes
    first among the request's upload handlers, so the handlers that write temporary files
    never see the bytes past the limit."""

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.refusal = ""
        self.file_count = 0
        self.total_bytes = 0

    def new_file(self, field_name: str, file_name: str, *args: Any, **kwargs: Any) -> None:
        super().new_file(field_name, file_name, *args, **kwargs)
        self.file_count += 1
        if self.file_count > settings.ATTACHMENT_MAX_FILES:
            self._refuse(
                f"Too many files: {settings.ATTACHMENT_MAX_FILES} at most per message "
                f"({files_limit_text()}). Nothing was saved."
            )

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.total_bytes += len(raw_data)
        if start + len(raw_data) > settings.ATTACHMENT_MAX_BYTES:
            self._refuse(
                f"{self.file_name} is larger than "
                f"{filesizeformat(settings.ATTACHMENT_MAX_BYTES)}, the limit per file "
                f"({files_limit_text()}). Nothing was saved."
            )
        if self.total_bytes > settings.ATTACHMENT_MAX_REQUEST_BYTES:
            self._refuse(_request_too_large())
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None

    def _refuse(self, message: str) -> None:
        self.refusal = message
        # connection_reset: the parser reads no further and closes what it had opened.
        raise StopUpload(connection_reset=True)


def _request_too_large(size: int | None = None) -> str:
    limit = filesizeformat(settings.ATTACHMENT_MAX_REQUEST_BYTES)
    what = f"The files sent are {filesizeformat(size)}" if size else "The files sent are larger"
    return (
        f"{what}; the limit is {limit} per message ({files_limit_text()}). Nothing was saved: "
        "send fewer or smaller files, or split them over several replies."
    )


def upload_refused(request: HttpRequest, status: int, message: str) -> HttpResponse:
    """The refusal in the style of the surface asked: the API's error body, or a page."""
    if request.path.startswith(API_PREFIX):
        code = "length_required" if status == 411 else "payload_too_large"
        return JsonResponse(error_body(code, message, {"attachments": [message]}), status=status)
    return render(request, "413.html", {"message": message}, status=status)


class UploadLimitMiddleware:
    """Refuses a request whose declared length passes `ATTACHMENT_MAX_REQUEST_BYTES`
    without reading it, a chunked request (Django reads no body without a length, so it
    would be taken as empty), and reads a multipart POST through `UploadLimiter` before
    any view or the CSRF check (in `process_view`, after every middleware's call) does."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.refusal(request) or self.get_response(request)

    def refusal(self, request: HttpRequest) -> HttpResponse | None:
        declared = request.META.get("CONTENT_LENGTH") or ""
        encoding = request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
        if not declared.strip() and "chunked" in encoding:
            return upload_refused(
                request,
                411,
                "Send the request with its length (a Content-Length header): chunked "
                "requests are not accepted. Nothing was saved.",
            )
        try:
            size = int(declared or 0)
        except ValueError:
            size = 0  # Django reads nothing of a body with an unreadable length.
        if size > settings.ATTACHMENT_MAX_REQUEST_BYTES:
            return upload_refused(request, 413, _request_too_large(size))
        if request.method == "POST" and request.content_type == "multipart/form-data":
            limiter = UploadLimiter(request)
            request.upload_handlers.insert(0, limiter)
            try:
                request.FILES  # noqa: B018  (parses the body now, through the limiter)
            except UnreadablePostError:
                return None  # The client went away; the CSRF check and view see the same.
            except MultiPartParserError:
                if request.path.startswith(API_PREFIX):
                    return None  # DRF parses again and answers in the API's error body.
                raise
            if limiter.refusal:
                # The parser stopped half way: what it returned must never reach a view.
                request._mark_post_parse_error()  # type: ignore[attr-defined]  # private API
                return upload_refused(request, 413, limiter.refusal)
        return None


Scope = dict[str, Any]
Message = Mapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
AsgiApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class _BodyTooLarge(Exception):
    pass


class AsgiBodyLimit:
    """The same limit for the ASGI entry point, where Django copies the whole body to a
    temporary file before any middleware runs: a body longer than
    `ATTACHMENT_MAX_REQUEST_BYTES` (declared, or counted as it arrives when chunked)
    is answered 413 and the rest is never read."""

    def __init__(self, app: AsgiApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = settings.ATTACHMENT_MAX_REQUEST_BYTES
        headers = dict(scope.get("headers") or [])
        try:
            declared = int(headers.get(b"content-length", b"0") or 0)
        except ValueError:
            declared = 0
        if declared > limit:
            await self._refuse(scope, send, declared)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _BodyTooLarge:
            await self._refuse(scope, send, None)

    async def _refuse(self, scope: Scope, send: Send, size: int | None) -> None:
        message = _request_too_large(size)
        if scope.get("path", "").startswith(API_PREFIX):
            body = json.dumps(error_body("payload_too_large", message)).encode()
            content_type = b"application/json"
        else:
            body, content_type = message.encode(), b"text/plain; charset=utf-8"
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", content_type), (b"connection", b"close")],
            }
        )
        await send({"type": "http.response.body", "body": body})
