"""Attachment downloads: always as a download, never rendered by the browser."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.views.decorators.http import require_GET

from audit.services import audit_staff_read
from cases.attachments import attachment_response
from cases.selectors import attachments_for
from supportdesk.types import AuthenticatedHttpRequest
from tenants.roles import is_support_staff


@require_GET
@login_required
def attachment_download(request: AuthenticatedHttpRequest, attachment_id: int) -> FileResponse:
    """Staff may use it too: `attachments_for` answers for every kind of user."""
    attachment = (
        attachments_for(request.user).select_related("case").filter(id=attachment_id).first()
    )
    if attachment is None:
        raise Http404("No such file.")
    if is_support_staff(request.user):
        audit_staff_read(
            actor=request.user, obj=attachment, verb="attachment downloaded", request=request
        )
    return attachment_response(attachment)
