"""Which results file a sitting's results come in (docs/domain.md §6.3–6.5): scale scores, raw paper marks, or none.

A sitting of a Cambridge English Scale exam before its first sitting on the scale (§5.1) was reported as a
standardised score and a profile. The portal grades the few such formats it has sources for from raw paper marks
(``import_legacy_results``: First from March 2011 to December 2014); the others — First before March 2011, and
Key, Preliminary, Advanced, Proficiency and the Business Certificates before the scale — are not modelled, and
their results cannot be imported at all. ``sitting_refusal`` says which, for the results import.
"""

import datetime as dt

from django.utils.translation import gettext_lazy as _

from grading.legacy import LEGACY_FORMATS, legacy_format
from grading.scale import SCALE_FROM

from .models import Exam

GRADED_FROM_PAPERS = _(
    "%(exam)s on %(date)s is graded from raw paper marks: import its papers with import_legacy_results"
)
BEFORE_THE_SCALE = _(
    "%(exam)s on %(date)s was sat before the exam was reported on the Cambridge English Scale (from %(scale)s): "
    "the format of that sitting is not modelled, so its results cannot be imported"
)
BEFORE_THE_SCALE_AND_LEGACY = _(
    "%(exam)s on %(date)s was sat before the exam was reported on the Cambridge English Scale (from %(scale)s) and "
    "before the raw-mark format import_legacy_results grades (from %(legacy)s): the format of that sitting is not "
    "modelled, so its results cannot be imported"
)


def _legacy_from(code: str) -> dt.date | None:
    """Return the first session of the earliest dated legacy format of ``code`` (First: 1 March 2011), or None."""
    starts = [fmt.since for fmt in LEGACY_FORMATS if code in fmt.exam_codes and fmt.since is not None]
    return min(starts) if starts else None


def sitting_refusal(*, exam: Exam, on: dt.date) -> str | None:
    """Return why the scale scores of ``exam`` sat on ``on`` cannot be imported, or None when they can.

    The message names the exam and the date, and ``import_legacy_results`` where that import takes the sitting
    (docs/domain.md §6.4). Costs a look-up and a comparison for a sitting on the scale (the results import asks for
    every line).
    """
    first = SCALE_FROM.get(exam.code.upper())
    if first is None or on >= first:
        return None
    values = {"exam": exam.name, "date": on.isoformat(), "scale": first.isoformat()}
    if legacy_format(exam_code=exam.code, session_date=on) is not None:
        return str(GRADED_FROM_PAPERS) % values
    legacy_from = _legacy_from(exam.code)
    if legacy_from is not None:
        return str(BEFORE_THE_SCALE_AND_LEGACY) % {**values, "legacy": legacy_from.isoformat()}
    return str(BEFORE_THE_SCALE) % values
