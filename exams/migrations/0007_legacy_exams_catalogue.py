"""Load the legacy exams (ICFE, ILEC, Delta Module One) with their papers, the papers of First before 2015, and the
dates the discontinued exams were offered (docs/domain.md §6.4 and §16). The data is copied here on purpose: a
migration must not change when application code does. A paper maximum that is not public is left empty for the
board to enter on the exam's page in the admin (the results import refuses a paper without one)."""

import datetime as dt

from django.db import migrations

FOUR_PAPERS = [
    ("reading", "Reading", None),
    ("writing", "Writing", None),
    ("listening", "Listening", None),
    ("speaking", "Speaking", None),
]
# code, name, CEFR target, offered from, offered until, modes, source of the dates, papers (code, name, maximum)
EXAMS = [
    (
        "ICFE",
        "International Certificate in Financial English (ICFE)",
        "C1",
        dt.date(2007, 5, 1),
        dt.date(2016, 12, 31),
        [],
        "First session May 2007; discontinued after December 2016 (docs/domain.md §16)",
        FOUR_PAPERS,
    ),
    (
        "ILEC",
        "International Legal English Certificate (ILEC)",
        "C1",
        None,
        dt.date(2016, 12, 9),
        [],
        "Final session 9 December 2016 (docs/domain.md §16)",
        FOUR_PAPERS,
    ),
    (
        "DELTA1",
        "Delta Module One",
        "",
        None,
        None,
        ["paper"],
        "A handwritten exam of two papers (docs/domain.md §16)",
        [("paper1", "Paper 1", 100), ("paper2", "Paper 2", 100)],
    ),
]
FIRST_PAPERS = [
    ("paper1", "Paper 1 Reading"),
    ("paper2", "Paper 2 Writing"),
    ("paper3", "Paper 3 Use of English"),
    ("paper4", "Paper 4 Listening"),
    ("paper5", "Paper 5 Speaking"),
]


def load(apps, schema_editor):
    Exam = apps.get_model("exams", "Exam")
    Component = apps.get_model("exams", "Component")
    # The tests reload the catalogue with today's models (conftest.py), where 0010 replaced offered_modes.
    has_modes_list = any(field.name == "offered_modes" for field in Exam._meta.get_fields())
    for code, name, cefr, first, last, modes, source, papers in EXAMS:
        defaults = {
            "name": name,
            "family": "legacy",
            "cefr_target": cefr,
            "verifiable_online": True,
            "offered_from": first,
            "offered_until": last,
            "offered_source": source,
        }
        if has_modes_list:
            defaults["offered_modes"] = modes
        exam, _ = Exam.objects.update_or_create(code=code, defaults=defaults)
        for order, (paper, label, maximum) in enumerate(papers, start=1):
            Component.objects.update_or_create(
                exam=exam,
                code=paper,
                defaults={"name": label, "kind": "paper", "order": 100 + order, "max_mark": maximum},
            )
    for exam in Exam.objects.filter(code__in=["FCE", "FCES"]):
        for order, (paper, label) in enumerate(FIRST_PAPERS, start=1):
            Component.objects.update_or_create(
                exam=exam, code=paper, defaults={"name": label, "kind": "paper", "order": 100 + order}
            )


def unload(apps, schema_editor):
    # Raw deletes: the collector cannot follow the other apps' historical relations here. A paper or exam that
    # results, sessions or boundary tables still use makes the database refuse, which is what undoing should do.
    Exam = apps.get_model("exams", "Exam")
    Component = apps.get_model("exams", "Component")
    alias = schema_editor.connection.alias
    codes = [e[0] for e in EXAMS]
    Component.objects.filter(exam__code__in=["FCE", "FCES", *codes], kind="paper")._raw_delete(alias)
    Exam.objects.filter(code__in=codes)._raw_delete(alias)


class Migration(migrations.Migration):
    dependencies = [("exams", "0006_exam_availability_and_legacy_family")]

    operations = [migrations.RunPython(load, unload)]
