"""Load the Cambridge English exams of docs/domain.md §5 and their skills (the data is copied here on purpose:
a migration must not change when application code does)."""

from django.db import migrations

FIVE_SKILLS = [
    ("reading", "Reading"),
    ("use_of_english", "Use of English"),
    ("writing", "Writing"),
    ("listening", "Listening"),
    ("speaking", "Speaking"),
]
FOUR_SKILLS = [s for s in FIVE_SKILLS if s[0] != "use_of_english"]

# code, name, CEFR target, for Schools, shares the certificate of, skills
EXAMS = [
    ("KET", "A2 Key", "A2", False, None, FOUR_SKILLS),
    ("KETS", "A2 Key for Schools", "A2", True, "KET", FOUR_SKILLS),
    ("PET", "B1 Preliminary", "B1", False, None, FOUR_SKILLS),
    ("PETS", "B1 Preliminary for Schools", "B1", True, "PET", FOUR_SKILLS),
    ("FCE", "B2 First", "B2", False, None, FIVE_SKILLS),
    ("FCES", "B2 First for Schools", "B2", True, "FCE", FIVE_SKILLS),
    ("CAE", "C1 Advanced", "C1", False, None, FIVE_SKILLS),
    ("CPE", "C2 Proficiency", "C2", False, None, FIVE_SKILLS),
    ("BECP", "B1 Business Preliminary", "B1", False, None, FOUR_SKILLS),
    ("BECV", "B2 Business Vantage", "B2", False, None, FOUR_SKILLS),
    ("BECH", "C1 Business Higher", "C1", False, None, FOUR_SKILLS),
]


def load_catalogue(apps, schema_editor):
    Exam = apps.get_model("exams", "Exam")
    Component = apps.get_model("exams", "Component")
    by_code = {}
    for code, name, cefr, for_schools, shares, skills in EXAMS:
        exam, _ = Exam.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "family": "scale",
                "cefr_target": cefr,
                "for_schools": for_schools,
                "certificate_exam": by_code.get(shares),
                "verifiable_online": True,
            },
        )
        by_code[code] = exam
        for order, (skill, label) in enumerate(skills, start=1):
            Component.objects.update_or_create(
                exam=exam, code=skill, defaults={"name": label, "kind": "skill", "order": order}
            )


def unload_catalogue(apps, schema_editor):
    Exam = apps.get_model("exams", "Exam")
    Exam.objects.filter(code__in=[e[0] for e in EXAMS], sessions__isnull=True).exclude(
        certificate_exam__isnull=True
    ).delete()
    Exam.objects.filter(code__in=[e[0] for e in EXAMS], sessions__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("exams", "0001_initial")]

    operations = [migrations.RunPython(load_catalogue, unload_catalogue)]
