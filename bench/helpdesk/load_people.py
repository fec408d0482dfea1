"""Print django-helpdesk's load-test people as JSON (run by bench/helpdesk/load.sh, with the
helpdesk virtual environment, after load.py):

- the staff sign-in load.py made (bench-staff);
- open tickets of the 20 busiest queues (the tenants whose contacts bench/load_people.py
  picks on SupportDesk's side), each with the id, e-mail and key of its public page: the
  link helpdesk's e-mails give the submitter;
- those 20 queues, which it marks `allow_public_submission` (idempotent; load.py leaves every
  queue private, and helpdesk's public form offers only public queues): the customers file
  their tickets there, as SupportDesk's contacts file cases in their tenants.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hdproject.settings")

import django  # noqa: E402

django.setup()

from django.db.models import Count  # noqa: E402
from helpdesk.models import Queue, Ticket  # noqa: E402

STAFF_USERNAME = "bench-staff"
STAFF_PASSWORD = "bench-pass-2026"  # noqa: S105 (the benchmark login load.py creates)


def main() -> None:
    busiest = list(
        Ticket.objects.order_by()
        .values("queue")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("queue", flat=True)[:20]
    )
    if not busiest:
        raise SystemExit("no tickets: run bench/helpdesk/load.py first")
    Queue.objects.filter(id__in=busiest, allow_public_submission=False).update(
        allow_public_submission=True
    )
    tickets = (
        Ticket.objects.filter(queue_id__in=busiest, status=Ticket.OPEN_STATUS)
        .select_related("queue")
        .order_by("id")[:200]
    )
    print(
        json.dumps(
            {
                "staff": STAFF_USERNAME,
                "staff_password": STAFF_PASSWORD,
                "tickets": [
                    {"ticket": t.ticket_for_url, "email": t.submitter_email, "key": t.secret_key}
                    for t in tickets
                ],
                "queues": busiest,
            }
        )
    )


if __name__ == "__main__":
    main()
