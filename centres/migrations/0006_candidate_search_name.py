"""The candidates' names folded for the centre's search (case, accents and spacing ignored), filled for every
candidate already entered."""

from django.db import migrations, models

BATCH = 2000


def search_names_fill(apps, schema_editor):  # noqa: ANN001 - migration signature
    from centres.models import search_name  # the one rule; a pure function of the two names

    Candidate = apps.get_model("centres", "Candidate")
    batch = []
    for person in Candidate.objects.only("pk", "first_name", "last_name").order_by("pk").iterator(BATCH):
        person.search_name = search_name(first_name=person.first_name, last_name=person.last_name)
        batch.append(person)
        if len(batch) == BATCH:
            Candidate.objects.bulk_update(batch, ["search_name"])
            batch = []
    if batch:
        Candidate.objects.bulk_update(batch, ["search_name"])


class Migration(migrations.Migration):
    dependencies = [("centres", "0005_entry_import_errors_capped")]

    operations = [
        migrations.AddField(
            model_name="candidate",
            name="search_name",
            field=models.CharField(blank=True, default="", editable=False, max_length=201),
        ),
        migrations.RunPython(search_names_fill, migrations.RunPython.noop),
    ]
