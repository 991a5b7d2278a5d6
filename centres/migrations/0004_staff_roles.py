"""Centre staff roles. Every member before roles existed was set up as an exams officer, so they keep that role;
new members default to staff."""

import uuid

from django.db import migrations, models

ROLES = [("exams_officer", "Exams officer"), ("head_of_centre", "Head of centre"), ("staff", "Staff")]


def public_ids_give(apps, schema_editor):  # noqa: ANN001 - migration signature
    StaffMember = apps.get_model("centres", "StaffMember")
    for member in StaffMember.objects.filter(public_id__isnull=True).only("pk"):
        member.public_id = uuid.uuid4()
        member.save(update_fields=["public_id"])


class Migration(migrations.Migration):
    dependencies = [
        ("centres", "0003_unitised_entries_mir"),
    ]

    operations = [
        migrations.AddField(
            model_name="staffmember",
            name="deactivated_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="staffmember",
            name="role",
            field=models.CharField(choices=ROLES, default="exams_officer", max_length=20),
        ),
        migrations.AddField(
            model_name="staffmember",
            name="public_id",
            field=models.UUIDField(null=True, editable=False),
        ),
        migrations.RunPython(public_ids_give, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="staffmember",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, unique=True, editable=False),
        ),
        migrations.AlterField(
            model_name="staffmember",
            name="role",
            field=models.CharField(choices=ROLES, default="staff", max_length=20),
        ),
    ]
