"""Which exams are offered on which dates and in which modes (docs/domain.md §16 'Availability of exams').

One rule for every way a session or an entry is made: the session admin, the timetable import, "Copy to next
year" and the entries import all ask ``session_refusal`` and show its message, which names the last (or first)
date the exam was offered, in all its modes or in the one asked for.

An exam's modes are read through ``exam.modes.all()``: callers that ask about many sessions load them once with
``prefetch_related("modes")`` (``MODES``), so the rule costs no query per line.
"""

import datetime as dt

from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from .models import Exam, ExamMode, ExamSession

# What callers prefetch on the exams they ask about (``Exam.objects.prefetch_related(MODES)``).
MODES = "modes"

NOT_OFFERED_AFTER = _("%(exam)s is not offered after %(last)s: the last date it was offered is %(last)s.")
NOT_OFFERED_BEFORE = _("%(exam)s was first offered on %(first)s: no session before that date.")
MODE_NOT_OFFERED = _("%(exam)s is not offered in the %(mode)s mode: its modes are %(modes)s.")
MODE_NOT_OFFERED_AFTER = _(
    "%(exam)s is not offered in the %(mode)s mode after %(last)s: the last date it was offered in that mode is "
    "%(last)s."
)
MODE_NOT_OFFERED_BEFORE = _(
    "%(exam)s was first offered in the %(mode)s mode on %(first)s: no session in that mode before that date."
)
OTHER_MODES = _("On that date it is offered in these modes: %(modes)s.")


def _mode_name(mode: str) -> str:
    labels = dict(ExamSession.Mode.choices)
    return str(labels.get(mode, mode)).lower()


def _mode_names(modes: list[str]) -> str:
    order = list(ExamSession.Mode.values)  # as the modes are listed everywhere: paper, computer, digital
    return ", ".join(_mode_name(mode) for mode in sorted(modes, key=lambda m: order.index(m) if m in order else 99))


def _offered_on(offer: ExamMode, day: dt.date) -> bool:
    return (offer.offered_from is None or offer.offered_from <= day) and (
        offer.offered_until is None or day <= offer.offered_until
    )


def session_refusal(*, exam: Exam, day: dt.date, mode: str) -> str | None:
    """Return why ``exam`` cannot have a session on ``day`` in ``mode``, or None when it is offered then.

    The exam's own dates hold for every mode; a mode listed on the exam may have dates of its own (e.g. paper-based
    A2 Key until 30 June 2026); an exam with modes listed is not offered in the others.
    """
    if exam.offered_until is not None and day > exam.offered_until:
        last = date_format(exam.offered_until, "DATE_FORMAT")
        return str(NOT_OFFERED_AFTER) % {"exam": exam.name, "last": last}
    if exam.offered_from is not None and day < exam.offered_from:
        first = date_format(exam.offered_from, "DATE_FORMAT")
        return str(NOT_OFFERED_BEFORE) % {"exam": exam.name, "first": first}
    offers = list(exam.modes.all())  # prefetched by the callers that ask about many sessions
    if not offers:
        return None  # no modes listed: every mode
    offer = next((o for o in offers if o.mode == mode), None)
    if offer is None:
        listed = [o.mode for o in offers]
        return str(MODE_NOT_OFFERED) % {"exam": exam.name, "mode": _mode_name(mode), "modes": _mode_names(listed)}
    if _offered_on(offer, day):
        return None
    if offer.offered_until is not None and day > offer.offered_until:
        last = date_format(offer.offered_until, "DATE_FORMAT")
        message = str(MODE_NOT_OFFERED_AFTER) % {"exam": exam.name, "mode": _mode_name(mode), "last": last}
    else:  # before the mode's first date
        first = date_format(offer.offered_from or day, "DATE_FORMAT")
        message = str(MODE_NOT_OFFERED_BEFORE) % {"exam": exam.name, "mode": _mode_name(mode), "first": first}
    others = [o.mode for o in offers if o.mode != mode and _offered_on(o, day)]
    if others:
        message = f"{message} {str(OTHER_MODES) % {'modes': _mode_names(others)}}"
    return message
