"""``manage.py import_centres FILE.csv``: create or update centres from a CSV file (docs/domain.md §14)."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import ngettext

from centres.imports import ImportRejected, centres_import
from results_portal.csvimport import command_problems, command_text_read


class Command(BaseCommand):
    help = "Create centres from a CSV file (centre_number,name,country,email), or update existing ones."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="CSV file with columns centre_number,name,country,email")

    def handle(self, *args: Any, **options: Any) -> None:
        text = command_text_read(self, options["file"])
        try:
            count = centres_import(text=text)
        except ImportRejected as rejected:
            raise command_problems(self, rejected) from None
        self.stdout.write(
            ngettext("%(count)d centre created or updated.", "%(count)d centres created or updated.", count)
            % {"count": count}
        )
