"""Seal every outbox message again under the first of ENCRYPTION_KEYS.

Key rotation: put the new key first in ENCRYPTION_KEYS (keep the old one after it),
restart the web and the workers, run this, then drop the old key."""

from django.core.management.base import BaseCommand

from notifications.services import outbox_reseal


class Command(BaseCommand):
    help = "Re-encrypt every outbox message under the first ENCRYPTION_KEYS key."

    def handle(self, *args: object, **options: object) -> None:
        count = outbox_reseal()
        self.stdout.write(f"Sealed {count} outbox message(s) again under the current key.")
