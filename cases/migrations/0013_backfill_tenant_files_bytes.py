"""Sets each customer's running total of case-file bytes from the files already stored;
from now on the attachment service keeps it."""

from django.db import migrations
from django.db.models import Sum


def backfill(apps, schema_editor):
    Attachment = apps.get_model("cases", "Attachment")
    Tenant = apps.get_model("tenants", "Tenant")
    totals = Attachment.objects.values("case__tenant_id").annotate(total=Sum("size"))
    for row in totals.iterator():
        Tenant.objects.filter(id=row["case__tenant_id"]).update(files_bytes=row["total"] or 0)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0012_open_priority_filter_index"),
        ("tenants", "0007_storage_quotas_and_files_total"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
