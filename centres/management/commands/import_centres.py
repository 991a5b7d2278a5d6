"""``manage.py import_centres FILE.csv``: create or update centres from a CSV file (docs/domain.md §14)."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import ngettext

from centres.imports import ImportRejected, centres_import


def csv_text_read(path: Path) -> str:
    """Return the text of a UTF-8 CSV file (with or without a byte-order mark), or raise CommandError."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise CommandError(f"{path}: no such file.") from exc
    except OSError as exc:
        raise CommandError(f"{path}: cannot be read ({exc.strerror}).") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CommandError(f'{path}: not a UTF-8 text file (from a spreadsheet, save it as "CSV UTF-8").') from exc


def problems_report(command: BaseCommand, rejected: ImportRejected) -> CommandError:
    """Write each problem of a rejected file to stderr and return the error that ends the command."""
    for error in rejected.errors:
        command.stderr.write(str(error))
    return CommandError(str(rejected))


class Command(BaseCommand):
    help = "Create centres from a CSV file (centre_number,name,country,email), or update existing ones."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="CSV file with columns centre_number,name,country,email")

    def handle(self, *args: Any, **options: Any) -> None:
        text = csv_text_read(options["file"])
        try:
            count = centres_import(text=text)
        except ImportRejected as rejected:
            raise problems_report(self, rejected) from None
        self.stdout.write(
            ngettext("%(count)d centre created or updated.", "%(count)d centres created or updated.", count)
            % {"count": count}
        )
