"""Storing a case's files: the one place files reach the media storage, for every channel
(portal, API, admin, inbound mail), after the plan's storage quotas are checked.

Quotas are counted cheaply at any size: a case's bytes are summed over the attachments'
case index (a case holds a handful of files), and a customer's bytes are a running total
on the tenant row (`Tenant.files_bytes`), moved in the transaction that stores the files.
Files are never deleted (the desk keeps them), so the total only grows.
"""

from collections.abc import Iterable

from django.core.files.base import ContentFile
from django.db.models import F, Sum
from django.template.defaultfilters import filesizeformat

from cases.attachments import UploadLike, clean_filename, guess_content_type
from cases.models import Attachment, Case, CaseEvent, Comment
from cases.services.common import record_event
from supportdesk.errors import TooLarge
from supportdesk.types import User
from tenants.models import SupportPlan, Tenant

MEGABYTE = 1024 * 1024


def _refuse(message: str) -> TooLarge:
    return TooLarge(message, field_errors={"attachments": [message]})


def reserve_file_space(*, case: Case, incoming: int) -> None:
    """Refuse `incoming` more bytes on the case if they would pass the plan's quota per
    case or per customer; otherwise count them in the customer's total.

    The caller holds the case row (locked, or created in this transaction), so the case's
    sum cannot change underneath; the customer's total moves in one conditional UPDATE,
    so two uploads on different cases cannot both take the last room."""
    plan = SupportPlan.objects.only("case_files_quota_mb", "tenant_files_quota_mb").get(
        tenants__id=case.tenant_id
    )
    case_quota = plan.case_files_quota_mb * MEGABYTE
    case_used = Attachment.objects.filter(case_id=case.id).aggregate(total=Sum("size"))["total"]
    case_used = case_used or 0
    if case_used + incoming > case_quota:
        raise _refuse(
            f"The files of {case.reference} add up to {filesizeformat(case_used)}; with "
            f"these {filesizeformat(incoming)} they would pass the plan's limit of "
            f"{filesizeformat(case_quota)} per case. Nothing was saved: send smaller files "
            "or a link to them."
        )
    tenant_quota = plan.tenant_files_quota_mb * MEGABYTE
    reserved = Tenant.objects.filter(
        id=case.tenant_id, files_bytes__lte=tenant_quota - incoming
    ).update(files_bytes=F("files_bytes") + incoming)
    if not reserved:
        tenant_used = Tenant.objects.values_list("files_bytes", flat=True).get(id=case.tenant_id)
        raise _refuse(
            f"Your organisation's cases hold {filesizeformat(tenant_used)} of files; with "
            f"these {filesizeformat(incoming)} they would pass the plan's limit of "
            f"{filesizeformat(tenant_quota)} per customer. Nothing was saved: ask your "
            "account team to raise the limit."
        )


def store_attachments(
    case: Case, actor: User, files: Iterable[UploadLike], *, comment: Comment | None, public: bool
) -> list[Attachment]:
    """Store checked uploads (`validate_uploads`) on the case, once the quotas allow them
    all: a refusal stores none."""
    files = list(files)
    if not files:
        return []
    reserve_file_space(case=case, incoming=sum(upload.size for upload in files))
    stored = []
    for upload in files:
        filename = clean_filename(upload.name)
        attachment = Attachment(
            case=case,
            comment=comment,
            filename=filename,
            content_type=guess_content_type(filename, getattr(upload, "content_type", None)),
            size=upload.size,
            uploaded_by=actor,
            public=public,
        )
        if hasattr(upload, "seek"):
            upload.seek(0)
        attachment.file.save(filename, ContentFile(upload.read()), save=False)
        attachment.save()
        record_event(case, actor, CaseEvent.Kind.ATTACHMENT_ADDED, public=public, message=filename)
        stored.append(attachment)
    return stored
