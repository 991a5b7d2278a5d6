from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from results.imports import ImportRejected, results_import


class Command(BaseCommand):
    help = (
        "Import results from a CSV file (candidate_id,exam_code,session_date,component,score), graded through "
        "grading/. A bad file prints every bad line and writes nothing."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--reason", default="corrected results file imported", help="Why released results change (amendments)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError as error:
            raise CommandError(f"{path}: no such file") from error
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"{path}: cannot be read as UTF-8 text ({error})") from error
        try:
            summary = results_import(text=text, reason=options["reason"])
        except ImportRejected as rejected:
            for problem in rejected.errors:
                self.stderr.write(str(problem))
            raise CommandError(str(rejected)) from rejected
        self.stdout.write(
            f"{summary.created} results created, {summary.replaced} replaced before release, "
            f"{summary.amended} amended after release, {summary.unchanged} unchanged."
        )
