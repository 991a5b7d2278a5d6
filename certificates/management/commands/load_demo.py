from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from certificates.demo import demo_post_results_load
from results.demo import (
    DEMO_BOARD_PASSWORD,
    DEMO_BOARD_USERNAME,
    DEMO_OFFICER_PASSWORD,
    DEMO_OFFICER_USERNAME,
    demo_load,
    demo_totp_secret,
)


class Command(BaseCommand):
    help = (
        "Load a small demo data set (centres, sessions, candidates, entries, results, post-results services). "
        "Safe to run again."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--force", action="store_true", help="Load even with DEBUG off (never on a real portal: PINs are public)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError("load_demo publishes its secret numbers; run it with DEBUG on, or pass --force.")
        created, entries = demo_load()
        post_results_created, candidate = demo_post_results_load()
        loaded = created or post_results_created
        self.stdout.write("Demo data loaded." if loaded else "Demo data already loaded; nothing changed.")
        self.stdout.write(
            f"Board admin at /admin/: {DEMO_BOARD_USERNAME} / {DEMO_BOARD_PASSWORD}, TOTP secret {demo_totp_secret()}"
            " (print the current code with: python manage.py demo_totp)"
        )
        self.stdout.write(
            f"Exams officer of GB901 at /centre/: {DEMO_OFFICER_USERNAME} / {DEMO_OFFICER_PASSWORD}, same TOTP secret"
        )
        self.stdout.write(
            f"Candidate with a Results Online account at /results/login/: {candidate.candidate_id} / "
            f"{candidate.password} ({candidate.name}: a certifying statement ordered, waiting for the board)"
        )
        self.stdout.write("Demo Confirmation of Entry details (Candidate ID / secret number / date of birth):")
        for entry in entries:
            self.stdout.write(
                f"  {entry.candidate_id}  {entry.secret_number}  {entry.date_of_birth}  {entry.name:<18}"
                f" {entry.session:<32} {entry.status}"
            )
