"""A rejected entry import stores at most its first 100 problems and a count of the others (errors_more);
imports rejected before this keep their first 100 problems and the count of the rest."""

from django.db import migrations, models

KEPT = 100


def errors_cap(apps, schema_editor):  # noqa: ANN001 - migration signature
    EntryImport = apps.get_model("centres", "EntryImport")
    for job in EntryImport.objects.filter(status="rejected").only("pk", "errors").iterator(chunk_size=20):
        if isinstance(job.errors, list) and len(job.errors) > KEPT:
            EntryImport.objects.filter(pk=job.pk).update(errors=job.errors[:KEPT], errors_more=len(job.errors) - KEPT)


class Migration(migrations.Migration):
    dependencies = [
        ("centres", "0004_staff_roles"),
    ]

    operations = [
        migrations.AddField(
            model_name="entryimport",
            name="errors_more",
            field=models.PositiveIntegerField(default=0, help_text="How many more problems the file had."),
        ),
        migrations.AlterField(
            model_name="entryimport",
            name="errors",
            field=models.JSONField(
                blank=True, default=list, help_text="The first problems of a rejected file (at most CSV_MAX_PROBLEMS)."
            ),
        ),
        migrations.RunPython(errors_cap, migrations.RunPython.noop),
    ]
