from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from results.imports import ImportRejected, results_import
from results_portal.csvimport import command_problems, command_text_read, results_limits


class Command(BaseCommand):
    help = (
        "Import results from a CSV file (candidate_id,exam_code,session_date,component,score), graded through "
        "grading/. A bad file prints every bad line and writes nothing."
    )

    # The import this command runs: import_legacy_results runs the legacy one with the same command line.
    importer = staticmethod(results_import)

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--reason", default="corrected results file imported", help="Why released results change (amendments)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        text = command_text_read(self, path, limits=results_limits())
        try:
            summary = self.importer(text=text, reason=options["reason"])
        except ImportRejected as rejected:
            raise command_problems(self, rejected) from None
        self.stdout.write(
            f"{summary.created} results created, {summary.replaced} replaced before release, "
            f"{summary.amended} amended after release, {summary.unchanged} unchanged."
        )
