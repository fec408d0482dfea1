"""Print the load test's people as JSON (used by bench/load.sh): the bench contacts of the
busiest tenants, an API token for some of them, twenty new cases for the engineers' replies,
and the demo engineer with the secret of its authenticator app.

Staff sign in with a second step (tenants/mfa.py): the engineer gets an authenticator app if
it has none (as bench_pages.py gives it one), and the locustfile computes its codes."""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportdesk.settings")

import django

django.setup()

from allauth.mfa.models import Authenticator  # noqa: E402
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret  # noqa: E402
from allauth.mfa.utils import decrypt  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db.models import Count  # noqa: E402

from cases.services import case_create  # noqa: E402
from tenants.models import AuthorizedContact, Tenant  # noqa: E402
from tenants.services import api_token_create  # noqa: E402

ENGINEER = "eng@supportdesk.demo"


def authenticator_secret(username: str) -> str:
    """The secret of the user's authenticator app, made if there is none yet."""
    user = get_user_model().objects.get(username=username)
    app = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if app is None:
        app = TOTP.activate(user, generate_totp_secret()).instance
    return decrypt(app.data["secret"])


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
    # The cases engineers reply to: made here through the case service, because the bench
    # generator's cases cannot take a reply (their RECEIVED events carry no priority, so
    # recomputing the clocks after a reply fails: a 500 on every generated case).
    reply_cases = [
        case_create(
            actor=c.user,
            tenant_id=c.tenant_id,
            summary="Load test: a case to reply to",
            category="bug",
            priority="P4",
            environment_access="granted",
        ).id
        for c in contacts[:20]
    ]
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
                "engineer": ENGINEER,
                "reply_cases": reply_cases,
                "engineer_totp": authenticator_secret(ENGINEER),
                "staff_password": "demo-pass-2026",
            }
        )
    )


if __name__ == "__main__":
    main()
