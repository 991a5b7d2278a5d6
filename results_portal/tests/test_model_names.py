"""Every model reads as a person would say it in the admin (issue: "readable names for every model")."""

import re

from django.apps import apps

OURS = ("accounts", "exams", "centres", "candidates", "results", "certificates", "verification")


def test_every_model_name_is_readable_english() -> None:
    problems = []
    for model in apps.get_models():
        meta = model._meta
        if meta.app_label not in OURS:
            continue
        plural = str(meta.verbose_name_plural)
        if re.search(r"[^aeiou]ys$|ss?s$", plural):  # "entrys", "statuss": Django's plain "s"
            problems.append(f"{meta.label}: {plural}")
        if re.search(r"\b(api|ums|cefr|uci|otp|totp)\b", f"{meta.verbose_name} {plural}"):
            problems.append(f"{meta.label}: {meta.verbose_name} (an acronym in lower case)")

    assert problems == []
