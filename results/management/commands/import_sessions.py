from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from results.timetable import timetable_import
from results_portal.csvimport import ImportRejected


class Command(BaseCommand):
    help = (
        "Import exam sessions from a CSV file (exam_code,session_date,mode; optional window_start,window_end,"
        "centre_release_at,certification_closing_date in ISO 8601 with offset). A bad file prints every bad line, "
        "writes nothing and exits with status 1."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError as error:
            raise CommandError(f"{path}: no such file") from error
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"{path}: cannot be read as UTF-8 text ({error})") from error
        try:
            summary = timetable_import(text=text)
        except ImportRejected as rejected:
            for problem in rejected.errors:
                self.stderr.write(str(problem))
            raise CommandError(str(rejected)) from rejected
        self.stdout.write(
            f"{summary.created} sessions created, {summary.updated} updated, {summary.unchanged} unchanged."
        )
