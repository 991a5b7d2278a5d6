from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from results.legacy import legacy_results_import
from results_portal.csvimport import ImportRejected, command_problems, command_text_read, results_limits


class Command(BaseCommand):
    help = (
        "Import legacy results (ICFE, ILEC, Delta Module One, First before 2015) from a CSV file of raw paper marks "
        "(candidate_id,exam_code,session_date,component,score), weighted into an aggregate and graded with the "
        "session's thresholds. A bad file prints every bad line and writes nothing."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--reason", default="corrected results file imported", help="Why released results change (amendments)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        text = command_text_read(self, path, limits=results_limits())
        try:
            summary = legacy_results_import(text=text, reason=options["reason"])
        except ImportRejected as rejected:
            raise command_problems(self, rejected) from None
        self.stdout.write(
            f"{summary.created} results created, {summary.replaced} replaced before release, "
            f"{summary.amended} amended after release, {summary.unchanged} unchanged."
        )
