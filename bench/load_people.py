"""Print the load test's people as JSON: the bench contacts of the busiest tenants, an API
token for some of them, and the demo engineer (used by bench/load.sh)."""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportdesk.settings")

import django

django.setup()

from django.db.models import Count  # noqa: E402

from tenants.models import AuthorizedContact, Tenant  # noqa: E402
from tenants.services import api_token_create  # noqa: E402


def main() -> None:
    busiest = list(
        Tenant.objects.filter(reference_prefix__startswith="B0")
        .annotate(n=Count("cases"))
        .order_by("-n")
        .values_list("id", flat=True)[:20]
    )
    contacts = list(
        AuthorizedContact.objects.filter(tenant_id__in=busiest, is_active=True)
        .select_related("user")
        .order_by("id")[:60]
    )
    tokens = [
        {"secret": api_token_create(actor=c.user, name="load test").secret, "tenant": c.tenant_id}
        for c in contacts[:20]
    ]
    print(
        json.dumps(
            {
                "password": "bench-pass-2026",
                "contacts": [{"username": c.user.username} for c in contacts],
                "tokens": tokens,
                "engineer": "eng@supportdesk.demo",
                "staff_password": "demo-pass-2026",
            }
        )
    )


if __name__ == "__main__":
    main()
