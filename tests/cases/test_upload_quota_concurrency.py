"""The customer's storage quota under concurrent uploads: run on PostgreSQL.

The threads call the quota primitive each upload goes through (`reserve_file_space`, in
its own transaction with its case locked, as `store_attachments` runs) rather than the
whole reply: django-fsm-2's `refresh_from_db` flips a flag on the shared model field,
which is not thread-safe within one process (gunicorn's workers are processes)."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, transaction

from cases.models import Case
from cases.services.attachments import reserve_file_space
from supportdesk.errors import TooLarge
from tenants.models import Tenant
from tests.cases.helpers import file_case

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row-lock races need PostgreSQL (set DATABASE_URL); SQLite serialises writers",
    ),
]

PART = 300 * 1024


def test_uploads_racing_for_the_last_room_never_pass_the_customer_quota(cast):
    plan = cast.tenant_a.plan
    plan.tenant_files_quota_mb = 1
    plan.save()
    case_ids = [file_case(cast, summary=f"Case {n}").id for n in range(8)]

    def upload(case_id: int) -> str:
        try:
            with transaction.atomic():
                case = Case.objects.select_for_update().get(id=case_id)
                reserve_file_space(case=case, incoming=PART)
        except TooLarge:
            return "refused"
        finally:
            connection.close()
        return "stored"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(upload, case_ids))
    assert sorted(outcomes) == ["refused"] * 5 + ["stored"] * 3
    assert Tenant.objects.get(id=cast.tenant_a.id).files_bytes == 3 * PART
