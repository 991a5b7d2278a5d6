from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from results.timetable import timetable_import
from results_portal.csvimport import ImportRejected, command_problems, command_text_read


class Command(BaseCommand):
    help = (
        "Import exam sessions from a CSV file (exam_code,session_date,mode; optional window_start,window_end,"
        "centre_release_at in ISO 8601 with offset, certification_closing_date,enquiry_deadline as dates). A bad file "
        "prints every bad line, "
        "writes nothing and exits with status 1."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        text = command_text_read(self, options["file"])
        try:
            summary = timetable_import(text=text)
        except ImportRejected as rejected:
            raise command_problems(self, rejected) from None
        self.stdout.write(
            f"{summary.created} sessions created, {summary.updated} updated, {summary.unchanged} unchanged."
        )
