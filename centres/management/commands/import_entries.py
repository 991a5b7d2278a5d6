"""``manage.py import_entries FILE.csv``: enter candidates and write ``FILE.issued.csv`` (docs/domain.md §14)."""

import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.translation import ngettext

from centres.imports import ENTRY_COLUMNS, ImportRejected, entries_import, issued_csv
from results_portal.csvimport import command_problems, command_text_read


def issued_path(path: Path) -> Path:
    """Return where the issued entries of ``path`` are written: ``entries.csv`` → ``entries.issued.csv``."""
    return path.with_suffix(".issued.csv")


class Command(BaseCommand):
    help = (
        "Enter candidates for exam sessions from a CSV file and write their Candidate IDs and secret numbers "
        "to FILE.issued.csv beside it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help=f"CSV file with columns {','.join(ENTRY_COLUMNS)}")

    def handle(self, *args: Any, **options: Any) -> None:
        source: Path = options["file"]
        target = issued_path(source)
        text = command_text_read(self, source)
        if target.exists():
            raise CommandError(
                f"{target} already exists: it may hold secret numbers issued before, so it is never overwritten. "
                "Move it away to import this file again; nothing was written."
            )
        try:
            # Exclusive creation: a second import of the same file at the same moment cannot overwrite it.
            # Owner-only permissions, because the file holds secret numbers.
            descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as exc:
            raise CommandError(f"{target}: cannot be written ({exc.strerror}); nothing was written.") from exc
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as output, transaction.atomic():
                issued = entries_import(text=text)
                output.write(issued_csv(issued))
                output.flush()
                os.fsync(output.fileno())
        except ImportRejected as rejected:
            target.unlink(missing_ok=True)
            raise command_problems(self, rejected) from None
        except BaseException:
            # The entries were rolled back: a file of secret numbers that do not exist must not stay behind.
            target.unlink(missing_ok=True)
            raise

        centres = len({entry.centre_number for entry in issued})
        self.stdout.write(
            ngettext("%(count)d entry created", "%(count)d entries created", len(issued)) % {"count": len(issued)}
            + ngettext(" for %(count)d centre.", " for %(count)d centres.", centres) % {"count": centres}
        )
        self.stdout.write(f"Wrote {target}")
        self.stdout.write(
            self.style.WARNING("Keep this file safe: it holds the secret numbers, which are not stored anywhere else.")
        )
