"""The customer's storage quota under concurrent uploads: run on PostgreSQL."""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models import Sum

from cases import services
from cases.models import Attachment
from supportdesk.errors import TooLarge
from tenants.models import Tenant
from tests.cases.test_lifecycle import file_case

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row-lock races need PostgreSQL (set DATABASE_URL); SQLite serialises writers",
    ),
]


def test_uploads_racing_for_the_last_room_never_pass_the_customer_quota(cast, settings):
    plan = cast.tenant_a.plan
    plan.tenant_files_quota_mb = 1
    plan.save()
    cases = [file_case(cast, summary=f"Case {n}") for n in range(8)]

    def upload(case_id: int) -> str:
        try:
            services.case_comment(
                case_id=case_id,
                actor=cast.contact_a,
                body="Logs",
                attachments=[SimpleUploadedFile("part.log", b"x" * 300 * 1024)],
            )
        except TooLarge:
            return "refused"
        finally:
            connection.close()
        return "stored"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(upload, [case.id for case in cases]))
    assert sorted(outcomes) == ["refused"] * 5 + ["stored"] * 3
    stored = Attachment.objects.aggregate(total=Sum("size"))["total"]
    assert Tenant.objects.get(id=cast.tenant_a.id).files_bytes == stored == 3 * 300 * 1024
    assert len([p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]) == 3
