from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from centres.models import Centre, StaffMember
from centres.services import staff_invite


class Command(BaseCommand):
    help = (
        "Create a centre staff account and print its one-time set-up link (password + authenticator app); for an "
        "existing member of the same centre, print a new set-up link (lost phone)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--centre", required=True, help="Centre number, e.g. GB901.")
        parser.add_argument("--email", required=True, help="The member's email address (their login).")
        parser.add_argument(
            "--role",
            default=StaffMember.Role.EXAMS_OFFICER,
            choices=StaffMember.Role.values,
            help="exams_officer (the default: the centre's first account), head_of_centre or staff. Exams officers "
            "invite the others from the centre area.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        centre = Centre.objects.filter(number=options["centre"].strip().upper()).first()
        if centre is None:
            raise CommandError(f"No centre with number {options['centre']!r}.")
        try:
            member, path = staff_invite(centre=centre, email=options["email"], role=options["role"], actor=None)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(
            f"Staff account {member.user.email} ({member.get_role_display()}) of {centre} is ready for set-up."
        )
        self.stdout.write(f"Send them this one-time set-up link: {settings.SITE_URL}{path}")
