"""Record the SLA cycles of cases that ended them before cycles were recorded (issue 18),
and rebuild the report rollups of the days concerned. Safe to run again."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from cases.services.sla_cycles import sla_cycles_backfill


class Command(BaseCommand):
    help = "Record the SLA cycles of existing cases and rebuild the SLA report rollups."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=500, help="cases per transaction")

    def handle(self, *args: Any, **options: Any) -> None:
        total = sla_cycles_backfill(batch=options["batch"])
        self.stdout.write(f"{total} SLA cycles in the timelines (already recorded ones kept).")
