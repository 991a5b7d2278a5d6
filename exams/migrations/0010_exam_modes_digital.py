"""Modes offered per exam, each with its own dates, and the digital mode (docs/domain.md §16).

Every exam keeps the modes it had: the modes listed in its former ``offered_modes`` (Delta Module One: paper-based),
or paper-based and computer-based where that list was empty (every mode there was). The Cambridge English
Qualifications that have a digital version get the digital mode (§16.3), and paper-based A2 Key is offered until
30 June 2026, the board's decision (§16.2). The data is copied here on purpose: a migration must not change when
application code does.
"""

import datetime as dt

import django.db.models.deletion
from django.db import migrations, models

EVERY_MODE_BEFORE = ["paper", "computer"]
# What 0007 listed, for the tests' reload of the catalogue with today's models, which have no offered_modes.
LISTED_BY_0007 = {"DELTA1": ["paper"]}
# Cambridge English Qualifications Digital (docs/domain.md §16.3): A2 Key to C2 Proficiency and the 'for Schools'
# versions; not the Business Certificates, the legacy exams or the unitised qualifications.
DIGITAL = ["KET", "KETS", "PET", "PETS", "FCE", "FCES", "CAE", "CPE"]
DIGITAL_SOURCE = "Cambridge English Qualifications Digital: results in 5–10 days (board's decision, docs/domain.md §16.3)"
# exam code, mode → last exam date, source (docs/domain.md §16.2)
MODE_ENDS = {
    ("KET", "paper"): (
        dt.date(2026, 6, 30),
        "Board's decision: paper-based A2 Key last offered in June 2026 (Cambridge English's A2 Key format page "
        "agrees; its withdrawal notice says 3 December 2026: docs/domain.md §16.2)",
    ),
}


def load(apps, schema_editor):
    Exam = apps.get_model("exams", "Exam")
    ExamMode = apps.get_model("exams", "ExamMode")
    for exam in Exam.objects.all():
        listed = getattr(exam, "offered_modes", None)
        if listed is None:  # today's models (conftest.py): the list 0007 wrote
            listed = LISTED_BY_0007.get(exam.code, [])
        modes = list(listed) or list(EVERY_MODE_BEFORE)
        if exam.code in DIGITAL and "digital" not in modes:
            modes.append("digital")
        for mode in modes:
            until, source = MODE_ENDS.get((exam.code, mode), (None, ""))
            if mode == "digital":
                source = DIGITAL_SOURCE
            elif not source and listed:
                source = exam.offered_source
            ExamMode.objects.update_or_create(
                exam=exam, mode=mode, defaults={"offered_until": until, "source": source}
            )


def unload(apps, schema_editor):
    Exam = apps.get_model("exams", "Exam")
    for exam in Exam.objects.prefetch_related("modes"):
        modes = [offer.mode for offer in exam.modes.all() if offer.mode in EVERY_MODE_BEFORE]
        exam.offered_modes = [] if sorted(modes) == sorted(EVERY_MODE_BEFORE) else modes
        exam.save(update_fields=["offered_modes"])


class Migration(migrations.Migration):
    dependencies = [
        ("exams", "0009_key_reading_and_writing_paper"),
    ]

    operations = [
        migrations.AlterField(
            model_name="examsession",
            name="mode",
            field=models.CharField(
                choices=[("paper", "Paper-based"), ("computer", "Computer-based"), ("digital", "Digital")],
                max_length=8,
            ),
        ),
        migrations.AlterField(
            model_name="exam",
            name="offered_source",
            field=models.CharField(
                blank=True,
                help_text="Where the exam's dates come from (a public page, or the board's decision).",
                max_length=300,
            ),
        ),
        migrations.CreateModel(
            name="ExamMode",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "mode",
                    models.CharField(
                        choices=[("paper", "Paper-based"), ("computer", "Computer-based"), ("digital", "Digital")],
                        max_length=8,
                    ),
                ),
                (
                    "offered_from",
                    models.DateField(
                        blank=True, help_text="First exam date in this mode; empty: the exam's own first date.", null=True
                    ),
                ),
                (
                    "offered_until",
                    models.DateField(
                        blank=True,
                        help_text="Last exam date in this mode; empty: as long as the exam is offered.",
                        null=True,
                    ),
                ),
                (
                    "source",
                    models.CharField(
                        blank=True,
                        help_text="Where these dates come from (a public page, or the board's decision).",
                        max_length=300,
                    ),
                ),
                (
                    "exam",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="modes", to="exams.exam"
                    ),
                ),
            ],
            options={
                "ordering": ["exam", "mode"],
                "constraints": [
                    models.UniqueConstraint(fields=("exam", "mode"), name="exam_mode_unique"),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("offered_from__isnull", True),
                            ("offered_until__isnull", True),
                            ("offered_until__gte", models.F("offered_from")),
                            _connector="OR",
                        ),
                        name="exam_mode_dates_in_order",
                    ),
                ],
            },
        ),
        migrations.RunPython(load, unload),
        migrations.RemoveField(
            model_name="exam",
            name="offered_modes",
        ),
    ]
