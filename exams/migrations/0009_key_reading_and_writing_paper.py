"""A2 Key and A2 Key for Schools from January 2020 report one Reading and Writing paper (docs/domain.md §5.9).

The 2016–2019 skills (Reading, Writing) stay: results of those sittings keep them. Which components a sitting
reports is decided by the format in force on its session date (``grading.scale.scale_exam``).
"""

from django.db import migrations

KEY_EXAMS = ("KET", "KETS")


def add_paper(apps, schema_editor):
    Exam = apps.get_model("exams", "Exam")
    Component = apps.get_model("exams", "Component")
    for exam in Exam.objects.filter(code__in=KEY_EXAMS):
        Component.objects.update_or_create(
            exam=exam, code="reading_and_writing", defaults={"name": "Reading and Writing", "kind": "skill", "order": 1}
        )


def remove_paper(apps, schema_editor):
    Component = apps.get_model("exams", "Component")
    Component.objects.filter(exam__code__in=KEY_EXAMS, code="reading_and_writing").delete()


class Migration(migrations.Migration):
    dependencies = [("exams", "0008_session_enquiry_deadline_service_fees")]

    operations = [migrations.RunPython(add_paper, remove_paper)]
