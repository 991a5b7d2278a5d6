"""Which exams are offered on which dates and in which modes (docs/domain.md §16 'Availability of exams').

One rule for every way a session or an entry is made: the session admin, the timetable import, "Copy to next
year" and the entries import all ask ``session_refusal`` and show its message, which names the last (or first)
date the exam was offered.
"""

import datetime as dt

from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from .models import Exam, ExamSession

NOT_OFFERED_AFTER = _("%(exam)s is not offered after %(last)s: the last date it was offered is %(last)s.")
NOT_OFFERED_BEFORE = _("%(exam)s was first offered on %(first)s: no session before that date.")
MODE_NOT_OFFERED = _("%(exam)s is not offered %(mode)s: it is offered %(modes)s.")


def _mode_names(modes: list[str]) -> str:
    labels = dict(ExamSession.Mode.choices)
    return ", ".join(str(labels.get(mode, mode)).lower() for mode in modes)


def session_refusal(*, exam: Exam, day: dt.date, mode: str) -> str | None:
    """Return why ``exam`` cannot have a session on ``day`` in ``mode``, or None when it is offered then."""
    if exam.offered_until is not None and day > exam.offered_until:
        last = date_format(exam.offered_until, "DATE_FORMAT")
        return str(NOT_OFFERED_AFTER) % {"exam": exam.name, "last": last}
    if exam.offered_from is not None and day < exam.offered_from:
        first = date_format(exam.offered_from, "DATE_FORMAT")
        return str(NOT_OFFERED_BEFORE) % {"exam": exam.name, "first": first}
    modes = list(exam.offered_modes or [])
    if modes and mode not in modes:
        return str(MODE_NOT_OFFERED) % {"exam": exam.name, "mode": _mode_names([mode]), "modes": _mode_names(modes)}
    return None
