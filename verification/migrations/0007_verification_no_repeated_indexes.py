"""Drop the single-column indexes of Verification's entry and organisation: each repeats the first column of the
composite index beside it (entry, -at; organisation, -at), which serves the same look-ups, and every API check
writes a row. Only the indexes go: the foreign keys stay as they are (Django's AlterField would drop and re-add
them, checking every row again). On PostgreSQL a DROP INDEX waits for the table's readers and holds up its writers
meanwhile, so it gives up after a few seconds (``lock_timeout``) rather than hold up the API's checks: run
``migrate`` again when the table is quieter."""

from typing import Any

import django.db.models.deletion
from django.db import migrations, models

INDEXES = {
    "verification_verification_entry_id_75f0388f": "entry_id",
    "verification_verification_organisation_id_7730ccae": "organisation_id",
}


def indexes_drop(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET LOCAL lock_timeout = '5s'")
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX "{name}"')


def indexes_create(apps: Any, schema_editor: Any) -> None:
    for name, column in INDEXES.items():
        schema_editor.execute(f'CREATE INDEX "{name}" ON "verification_verification" ("{column}")')


class Migration(migrations.Migration):
    dependencies = [
        ("centres", "0008_unitised_candidate_number_and_uci"),
        ("verification", "0006_organisation_language"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="verification",
                    name="entry",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="verifications",
                        to="centres.entry",
                    ),
                ),
                migrations.AlterField(
                    model_name="verification",
                    name="organisation",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="verifications",
                        to="verification.verifierorganisation",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(indexes_drop, indexes_create)],
        ),
    ]
