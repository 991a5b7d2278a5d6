from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp

from results.demo import DEMO_TOTP_KEY_HEX


class Command(BaseCommand):
    help = "Print the current TOTP code of the demo staff users (DEBUG only), for /admin/ and /centre/."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("demo_totp is for the demo portal only (DEBUG on).")
        self.stdout.write(f"{totp(bytes.fromhex(DEMO_TOTP_KEY_HEX)):06d}")
