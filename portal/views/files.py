"""Attachment downloads: always as a download, never rendered by the browser."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_GET

from cases.selectors import attachments_for

# Types a browser shows without running anything; everything else goes out as bytes.
_PASSIVE_PREFIXES = ("image/", "video/", "audio/")
_PASSIVE_TYPES = {
    "text/plain",
    "text/csv",
    "application/pdf",
    "application/json",
    "application/zip",
    "application/gzip",
    "application/x-gzip",
    "message/rfc822",
}
_ACTIVE_TYPES = {"image/svg+xml"}


def download_type(content_type: str) -> str:
    base = content_type.split(";")[0].strip().lower()
    passive = base.startswith(_PASSIVE_PREFIXES) or base in _PASSIVE_TYPES
    if base.startswith("application/vnd.openxmlformats-officedocument."):
        passive = True
    return base if passive and base not in _ACTIVE_TYPES else "application/octet-stream"


@require_GET
@login_required
def attachment_download(request: HttpRequest, attachment_id: int) -> FileResponse:
    """Staff may use it too: `attachments_for` answers for every kind of user."""
    attachment = attachments_for(request.user).filter(id=attachment_id).first()
    if attachment is None:
        raise Http404("No such file.")
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.filename,
        content_type=download_type(attachment.content_type),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
