"""Read one message from standard input and route it, for an MTA pipe, e.g. in Postfix's
aliases: `support: "|/srv/supportdesk/.venv/bin/python /srv/supportdesk/manage.py receive_email"`.

Exit status 0 once the message is stored, whatever became of it (see the admin's inbound
mail list); 75 (EX_TEMPFAIL) when it could not be stored, so the MTA keeps it and retries.
"""

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from cases.inbound import receive_email
from notifications.models import InboundEmail

EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = "Store and route one email message read from standard input (MTA pipe)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--file", help="read the message from this file instead of standard input"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options.get("file"):
                with open(str(options["file"]), "rb") as source:
                    raw = source.read()
            else:
                raw = sys.stdin.buffer.read()
            record = receive_email(raw, source=InboundEmail.Source.PIPE)
        except Exception as error:
            self.stderr.write(f"receive_email: message not stored, try again later: {error}")
            raise SystemExit(EX_TEMPFAIL) from error
        self.stdout.write(f"{record.status}: {record.outcome}")
