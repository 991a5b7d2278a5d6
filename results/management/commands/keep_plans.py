from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import DEFAULT_DB_ALIAS

from results_portal.prepared import keep_plans, kept_plans_drop_others


class Command(BaseCommand):
    help = (
        "Write the functions that keep the hot queries' plans for this code (migrate does it too; ADR 0019). "
        "With --drop-others, also drop those of older code: run it once no process of the older code is left."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)
        parser.add_argument(
            "--drop-others", action="store_true", help="drop the kept plans that no query of this code calls"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        written = keep_plans(options["database"])
        self.stdout.write(f"{len(written)} kept plans written.")
        if options["drop_others"]:
            dropped = kept_plans_drop_others(options["database"])
            self.stdout.write(f"{len(dropped)} kept plans of other code dropped: {', '.join(dropped) or 'none'}.")
