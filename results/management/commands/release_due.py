from typing import Any

from django.core.management.base import BaseCommand

from results.services import results_release_due


class Command(BaseCommand):
    help = "Release every result whose release instant has passed and queue its emails (beat runs it every minute)."

    def handle(self, *args: Any, **options: Any) -> None:
        released = results_release_due()
        self.stdout.write(f"{released} results released.")
