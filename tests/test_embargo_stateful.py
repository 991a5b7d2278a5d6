"""The embargo invariant, as a Hypothesis state machine: every route shows exactly what its audience may see now.

Hypothesis runs random sequences of what happens around results day, each step through the real code:

- import results (``results.imports.results_import``, what ``import_results`` runs): B2 First (scale score, one
  session) and a unitised qualification (unit raw marks, a January and a June series with restricted release);
- amend: re-import changed scores of a result someone has already seen;
- release due (``results.services.results_release_due(now=…)``), hold and release again (``result_hold``,
  ``result_unhold``);
- reschedule: move a session's release window (and restricted release), saved as the admin saves it
  (``session.save()``: the post_save signal reschedules);
- cash-in (``centres.services.certification_entry_create``);
- name correction (``certificates.services``: request → mark returned → issue);
- share link (the candidate's form at ``/results/<id>/share/``);
- move the clock (``django.utils.timezone.now`` patched to the machine's clock; the Celery beat's results-files job,
  ``results.centre_files.results_files_regenerate_all``, runs after each move as it runs every 15 minutes).

After EVERY step it reads EVERY route below for every entry, through the Django test client, and compares what
each shows with a model written from the rules (not with the code under test):

- candidate (each person's account): ``/results/`` (dashboard), ``/results/<entry>/`` (Statement of Results),
  ``/results/<entry>/statement.pdf`` (200 or 202 only once released, else 404), ``/results/<entry>/share/``,
  ``/results/<entry>/share/credential.json`` (Open Badges credential);
- verifier: ``POST /verify/`` (form), ``POST /api/v1/verifications`` (Candidate ID + secret number),
  ``/verify/s/<token>`` for every share link made, ``/verify/v/<token>`` (QR page) for every document stored;
- centre (an exams officer logged in with 2FA): ``/centre/results/``, ``/centre/results.csv``,
  ``/centre/entries/<entry>/``, ``/centre/entries/<entry>/results/`` (paper copy), ``/centre/certificates/``,
  ``/centre/certificates/entries/<entry>/``, ``/centre/certificates/documents/<uuid>.pdf``,
  ``/centre/unitised/`` and per series ``…/series/<id>/results/``, ``…/entries/``, ``…/grade-boundaries/``,
  ``…/special-consideration.csv``, ``…/results-files/``, ``…/results-files/unit.csv``,
  ``…/results-files/qualification.csv``, and per
  unitised entry ``/centre/unitised/entries/<entry>/slip/`` and ``…/cumulative.pdf``; a teacher at the same
  centre (role *staff*): ``/centre/results.csv``, released only as the candidates see it;
- public: ``/statistics/`` and ``/statistics/grade-statistics.csv``;
- emails: ``django.core.mail.outbox`` and the ``OutgoingEmail`` rows (one per account, result, kind, version;
  never a grade or score in the body).

The model's rules: a result is visible to candidates and verifiers from ``released_at``, to its centre from
``centre_released_at`` (the day before, for a unitised series), to nobody while held; grades come from the
catalogue's bands (B2 First: 180–190 Grade A C1, 173–179 Grade B B2, 160–172 Grade C B2, 140–159 Level B1) and
the unitised rules (raw → UMS piecewise linear through the series' boundaries; the qualification of a cash-in
in series S counts the best result of each unit in the series up to S, the best optional unit chosen among
those). A result anyone has seen changes only as an amendment: a new version (and an "amended" email when the
candidate can see it) — a late cash-in's first grade on a result already out included. A stored results file is
rebuilt whenever a result event names one of its results (ADR 0009); between events and daily builds it may say
Q for a result released since, but never shows a value nobody may see now (held, or amended since).

Examples: ``EMBARGO_EXAMPLES`` (default 12) sequences of ``EMBARGO_STEPS`` (default 10) steps, about two minutes
on two cores. ``make test`` runs them derandomized (the same sequences every run, so CI is reproducible);
``EMBARGO_RANDOM=1 EMBARGO_EXAMPLES=500 EMBARGO_STEPS=25`` explores new sequences (``make embargo-long``). Each
bug it found has a small test of its own in tests/test_embargo_regressions.py and tests/test_result_events.py.
"""

import csv
import datetime as dt
import hashlib
import io
import json
import logging
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from html import unescape
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.signals import request_finished
from django.db import close_old_connections
from django.test import Client, override_settings
from django.test import TestCase as DjangoTestCase
from django.utils import timezone
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from candidates.models import CandidateAccount, LinkedEntry
from centres.models import StaffMember
from centres.services import certification_entry_create, unit_entries_set
from centres.tests.factories import (
    DEFAULT_SECRET,
    CandidateFactory,
    CentreFactory,
    EntryFactory,
    ExamSessionFactory,
    StaffMemberFactory,
)
from certificates.models import CertificateAmendment, Document
from certificates.services import (
    RESULT_NOT_AVAILABLE,
    certificate_amendment_issue,
    certificate_amendment_mark_returned,
    certificate_amendment_request,
    document_current,
)
from certificates.tokens import document_token
from conftest import CommittingClient, otp_login
from exams.models import Exam
from results.centre_files import results_files_regenerate_all
from results.imports import RESULT_COLUMNS, results_import
from results.models import OutgoingEmail, Result, ResultEvent
from results.services import result_hold, result_unhold, results_release_due
from results.tests.factories import account_for, unitised_qualification, unitised_series

pytestmark = pytest.mark.django_db

UK = ZoneInfo("Europe/London")
EXAMPLES = int(os.environ.get("EMBARGO_EXAMPLES", "12"))
STEPS = int(os.environ.get("EMBARGO_STEPS", "10"))

SKILLS = ("reading", "use_of_english", "writing", "listening", "speaking")
# B2 First (the exam catalogue's bands): every skill given the same score, so the overall score is that score.
FCE_BANDS = {185: ("Grade A", "C1"), 176: ("Grade B", "B2"), 165: ("Grade C", "B2"), 150: ("Level B1", "B1")}
FCE_SCORES = sorted(FCE_BANDS)
# The unitised qualification of results/tests/factories.py: units of 100 UMS (pass 40, merit 60, distinction 80),
# raw boundaries of each series max//3, max//2, max*2//3; qualification 300 UMS, Pass 120 … Distinction* 255.
UNITS = ("F240", "F241", "F242", "F243")
OPTIONAL = ("F242", "F243")
RAW_CHOICES = {"F240": (10, 20, 30, 45, 60), "F241": (2, 4, 6, 10, 12), "F242": (10, 20, 30, 45, 60)}
RAW_CHOICES["F243"] = RAW_CHOICES["F242"]
QUALIFICATION = ((255, "Distinction*"), (210, "Distinction"), (165, "Merit"), (120, "Pass"))
TARIFF_UNIT = "F241"  # imported with 2.5 % special consideration, for the centre's report
UNIT_ONLY = "Unit results only (no certification entry)"

FCE_WINDOW = dt.datetime(2026, 6, 5, 9, 0, tzinfo=UK)
START = dt.datetime(2026, 2, 20, 9, 0, tzinfo=UK)
JAN_RESULTS_EVE = dt.datetime(2026, 3, 3, 18, 0, tzinfo=UK)  # centres 00:01 on 4 March, candidates 08:00 on 5 March
FCE_RESULTS_EVE = dt.datetime(2026, 6, 4, 18, 0, tzinfo=UK)
JUN_RESULTS_EVE = dt.datetime(2026, 8, 11, 18, 0, tzinfo=UK)

# (first name as entered — misspelt —, last name, corrected first name, corrected last name)
PEOPLE = (("Amelai", "Brown", "Amelia", "Brown"), ("Bilal", "Khann", "Bilal", "Khan"))
# Which sessions each person sits, with the units entered in a unitised series.
SITTINGS: tuple[tuple[tuple[str, tuple[str, ...]], ...], ...] = (
    (("FCE", ()), ("JAN", ("F240", "F241", "F242")), ("JUN", ("F243",))),
    (("FCE", ()), ("JUN", UNITS)),
)


# --- The model ------------------------------------------------------------------------------------------
def unit_ums(unit: str, raw: int) -> int:
    """Return the UMS of a raw mark: linear through (0,0), the (raw, UMS) boundaries and (max, 100)."""
    if unit == "F241":  # NEA, 12 criteria: boundaries 4, 6, 8 → 40, 60, 80
        return 10 * raw if raw <= 8 else 80 + 5 * (raw - 8)
    return 2 * raw if raw <= 40 else raw + 40  # 60 marks: boundaries 20, 30, 40 → 40, 60, 80


def unit_grade(ums: int) -> str:
    return "distinction" if ums >= 80 else "merit" if ums >= 60 else "pass" if ums >= 40 else "U"


def qualification_grade(total: int) -> str:
    return next((grade for minimum, grade in QUALIFICATION if total >= minimum), "U")


@dataclass(repr=False)
class MSession:
    key: str
    exam: str
    date: dt.date
    window_start: dt.datetime
    window_end: dt.datetime
    centre_release: dt.datetime | None
    closing: dt.date | None
    pk: int = 0

    @property
    def centre_opens(self) -> dt.datetime:
        return self.centre_release or self.window_start

    def __repr__(self) -> str:
        return self.key


@dataclass
class MResult:
    scores: dict[str, int]  # skill → scale score, or unit → raw mark
    ready_at: dt.datetime
    released_at: dt.datetime | None
    centre_released_at: dt.datetime | None
    status: str = "ready"  # ready / released / held, as the release job records it
    grade: str = ""
    overall: int | None = None
    cefr: str = ""
    version: int = 1
    amended: bool = False
    seen: bool = False  # visible to someone (centre or candidate) at some step
    missing: tuple[str, ...] = ()  # a cash-in's required units without a result (incomplete: 'Q')
    # Held after the centre or the candidate could see it: the candidate instant the hold kept. Once it has passed,
    # candidates and verifiers read "under review" instead of 'Q' or "not yet released".
    held_out_at: dt.datetime | None = None


@dataclass(repr=False)
class MEntry:
    index: int
    person: int
    session: MSession
    units: tuple[str, ...]
    candidate_id: str = ""
    public_id: str = ""
    pk: int = 0
    result: MResult | None = None
    cash_in: bool = False
    correction: str = ""  # "", "requested", "returned", "issued"
    amendment_pk: int = 0

    @property
    def unitised(self) -> bool:
        return self.session.exam != "FCE"

    def __repr__(self) -> str:
        return f"{self.candidate_id} ({self.session.key})"


@dataclass
class MShareLink:
    entry: MEntry
    token: str
    expires_at: dt.datetime


@dataclass
class Model:
    now: dt.datetime
    sessions: dict[str, MSession]
    entries: list[MEntry]
    emails: set[tuple[str, int, str, int]] = field(default_factory=set)  # (candidate id, result pk, kind, version)
    links: list[MShareLink] = field(default_factory=list)
    edi_built: dict[str, tuple[dt.date, dict[tuple[str, ...], tuple[Any, ...]]]] = field(default_factory=dict)

    def candidate_sees(self, entry: MEntry) -> bool:
        r = entry.result
        return r is not None and r.status != "held" and r.released_at is not None and r.released_at <= self.now

    def under_review(self, entry: MEntry) -> bool:
        r = entry.result
        return r is not None and r.status == "held" and r.held_out_at is not None and r.held_out_at <= self.now

    def centre_sees(self, entry: MEntry) -> bool:
        r = entry.result
        return (
            r is not None
            and r.status != "held"
            and r.centre_released_at is not None
            and r.centre_released_at <= self.now
        )

    def mark_seen(self) -> None:
        for entry in self.entries:
            if entry.result is not None and (self.centre_sees(entry) or self.candidate_sees(entry)):
                entry.result.seen = True

    def name(self, entry: MEntry) -> str:
        first, last, fixed_first, fixed_last = PEOPLE[entry.person]
        return f"{fixed_first} {fixed_last}" if entry.correction == "issued" else f"{first} {last}"

    def new_instants(self, session: MSession) -> tuple[dt.datetime, dt.datetime]:
        return max(session.window_start, self.now), max(session.centre_opens, self.now)

    def amend(self, entry: MEntry, bumped: set[int]) -> None:
        result = entry.result
        assert result is not None
        if entry.index in bumped:
            return
        bumped.add(entry.index)
        result.version += 1
        result.amended = True
        if self.candidate_sees(entry):
            self.emails.add((entry.candidate_id, entry.index, "amended", result.version))

    def import_scores(self, entry: MEntry, scores: dict[str, int]) -> None:
        bumped: set[int] = set()
        result = entry.result
        if result is None:
            released_at, centre_released_at = self.new_instants(entry.session)
            result = entry.result = MResult(
                scores=dict(scores), ready_at=self.now, released_at=released_at, centre_released_at=centre_released_at
            )
        else:
            merged = {**result.scores, **scores} if entry.unitised else dict(scores)
            if merged != result.scores:
                if result.seen:
                    self.amend(entry, bumped)
                elif result.status != "held":
                    result.released_at, result.centre_released_at = self.new_instants(entry.session)
                result.ready_at = self.now
                result.scores = merged
        if entry.unitised:
            self.qualifications_refresh(entry.person, bumped)
        else:
            score = result.scores["reading"]
            result.grade, result.cefr = FCE_BANDS[score]
            result.overall = score

    def qualifications_refresh(self, person: int, bumped: set[int]) -> None:
        mine = [e for e in self.entries if e.person == person and e.unitised]
        for cash_in in [e for e in mine if e.cash_in]:
            best: dict[str, tuple[int, dt.date]] = {}
            for sitting in sorted(mine, key=lambda e: e.session.date):
                if sitting.result is None or sitting.session.date > cash_in.session.date:
                    continue
                for unit, raw in sitting.result.scores.items():
                    ums = unit_ums(unit, raw)
                    if unit not in best or ums > best[unit][0]:
                        best[unit] = (ums, sitting.session.date)
            optional = sorted(OPTIONAL, key=lambda u: (-best.get(u, (-1,))[0], u))[0]
            required = ("F240", "F241", optional)
            missing = tuple(u for u in required if u not in best)
            if not missing:
                total: int | None = sum(best[u][0] for u in required)
                grade = qualification_grade(int(total or 0))
            else:
                total, grade = None, ""
            if cash_in.result is None:
                released_at, centre_released_at = self.new_instants(cash_in.session)
                cash_in.result = MResult(
                    scores={}, ready_at=self.now, released_at=released_at, centre_released_at=centre_released_at
                )
            result = cash_in.result
            if (grade, total) != (result.grade, result.overall):
                if result.seen:  # even a late cash-in's first grade: what was seen changes only by amendment
                    self.amend(cash_in, bumped)
                result.grade, result.overall = grade, total
            result.missing = missing


# --- Reading pages --------------------------------------------------------------------------------------
TAG = re.compile(r"<[^>]+>")


def _text(html: str) -> str:
    return " ".join(unescape(TAG.sub(" ", html)).split())


def _dd(html: str, label: str) -> str | None:
    found = re.search(rf"<dt>{re.escape(label)}</dt>\s*<dd[^>]*>(.*?)</dd>", html, re.S)
    return _text(found.group(1)) if found else None


def _rows(html: str) -> list[list[str]]:
    return [
        [_text(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", html, re.S)
    ]


def _csv(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def _get(client: Client, url: str, **kwargs: Any) -> tuple[int, bytes, str]:
    """Return (status, body, content type) of a GET, closing a streamed file as the server would."""
    response = client.get(url, **kwargs)
    if response.streaming:
        body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    else:
        body = response.content
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)
    return response.status_code, body, response.get("Content-Type", "")


# --- The machine ------------------------------------------------------------------------------------------
class EmbargoMachine(RuleBasedStateMachine):
    """Random results-day histories; after every step every route is read and compared with the model."""

    def __init__(self) -> None:
        super().__init__()
        self._atomics = DjangoTestCase._enter_atomics()  # each example rolls back, as a Django TestCase
        self.model = Model(now=START, sessions={}, entries=[])
        self._last_event = ResultEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        self._clock = mock.patch("django.utils.timezone.now", side_effect=lambda: self.model.now)
        self._clock.start()
        logging.disable(logging.WARNING)  # 404s are expected, and WeasyPrint's CSS notes are noise here
        cache.clear()
        # Stored files (PDFs, results files) live on disk, not in the rolled-back database: each example gets a
        # folder of its own, so neither an earlier example nor another test run on the machine can touch them.
        self._media = tempfile.mkdtemp(prefix="embargo-stateful-")
        self._media_settings = override_settings(MEDIA_ROOT=self._media)
        self._media_settings.enable()
        mail.outbox = []
        self.observed: dict[tuple[str, int], tuple[Any, int]] = {}
        self._world()

    def teardown(self) -> None:
        logging.disable(logging.NOTSET)
        self._clock.stop()
        DjangoTestCase._rollback_atomics(self._atomics)
        cache.clear()
        self._media_settings.disable()
        shutil.rmtree(self._media, ignore_errors=True)

    # --- set-up -----------------------------------------------------------------------------------------
    def _world(self) -> None:
        fce = ExamSessionFactory(
            exam=Exam.objects.get(code="FCE"),
            date=dt.date(2026, 5, 2),
            window_start=FCE_WINDOW,
            window_end=FCE_WINDOW + dt.timedelta(days=14),
        )
        exam = unitised_qualification()
        exam.verifiable_online = True
        exam.save()
        self.exam_sessions = {"FCE": fce, "JAN": unitised_series(exam, month=1), "JUN": unitised_series(exam, month=6)}
        for key, session in self.exam_sessions.items():
            self.model.sessions[key] = MSession(
                key=key,
                exam=session.exam.code if key != "FCE" else "FCE",
                date=session.date,
                window_start=session.window_start,
                window_end=session.window_end,
                centre_release=session.centre_release_at,
                closing=session.certification_closing_date,
                pk=session.pk,
            )
        self.model.sessions["JAN"].exam = self.model.sessions["JUN"].exam = "UNIT"
        centre = CentreFactory()
        self.staff = StaffMemberFactory(centre=centre)  # an exams officer: sees the restricted release
        self.centre = otp_login(CommittingClient(), self.staff.user)
        # A teacher at the same centre: sees results only from the candidates' instant (docs/domain.md §3.4).
        self.teacher = otp_login(
            CommittingClient(), StaffMemberFactory(centre=centre, role=StaffMember.Role.STAFF).user
        )
        self.candidates: list[Client] = []
        self.db_entries: dict[int, Any] = {}
        for person_index, ((first, last, _, _), sittings) in enumerate(zip(PEOPLE, SITTINGS, strict=True)):
            person = CandidateFactory(centre=centre, first_name=first, last_name=last)
            account: CandidateAccount | None = None
            for key, units in sittings:
                entry = EntryFactory(person=person, centre=centre, session=self.exam_sessions[key])
                if units:
                    unit_entries_set(entry=entry, unit_codes=units, actor=None)
                if account is None:
                    account = account_for(entry)
                else:
                    LinkedEntry.objects.create(account=account, entry=entry)
                model_entry = MEntry(
                    index=len(self.model.entries),
                    person=person_index,
                    session=self.model.sessions[key],
                    units=units,
                    candidate_id=entry.candidate_id,
                    public_id=str(entry.public_id),
                    pk=entry.pk,
                )
                self.model.entries.append(model_entry)
                self.db_entries[model_entry.index] = entry
            client = CommittingClient()
            assert account is not None
            client.force_login(account.user)
            self.candidates.append(client)

    @initialize(data=st.data())
    def first_results(self, data: st.DataObject) -> None:
        """Import results for some entries at the start (more histories reach results day in few steps)."""
        for entry in self.model.entries:
            if not data.draw(st.booleans(), label=f"import {entry!r}"):
                continue
            if entry.unitised:
                units = data.draw(st.lists(st.sampled_from(entry.units), min_size=1, unique=True), label="units")
                self._import(entry, {u: data.draw(st.sampled_from(RAW_CHOICES[u]), label=u) for u in sorted(units)})
            else:
                self._import(entry, dict.fromkeys(SKILLS, data.draw(st.sampled_from(FCE_SCORES), label="score")))

    def _result(self, entry: MEntry) -> Result:
        return Result.objects.get(entry_id=entry.pk)

    # --- import and amend -----------------------------------------------------------------------------
    def _import(self, entry: MEntry, scores: dict[str, int]) -> None:
        header = ",".join((*RESULT_COLUMNS, "consideration_tariff"))
        session = entry.session
        lines = [
            f"{entry.candidate_id},{'FCE' if not entry.unitised else 'ANBUS'},{session.date},{code},{score},"
            + ("2.5" if code == TARIFF_UNIT else "")
            for code, score in scores.items()
        ]
        with DjangoTestCase.captureOnCommitCallbacks(execute=True):
            results_import(text="\n".join([header, *lines]) + "\n", now=self.model.now)
        self.model.import_scores(entry, scores)

    @rule(data=st.data())
    def import_scale_score(self, data: st.DataObject) -> None:
        entry = data.draw(st.sampled_from([e for e in self.model.entries if not e.unitised]), label="entry")
        score = data.draw(st.sampled_from(FCE_SCORES), label="score")
        self._import(entry, dict.fromkeys(SKILLS, score))

    @rule(data=st.data())
    def import_units(self, data: st.DataObject) -> None:
        entry = data.draw(st.sampled_from([e for e in self.model.entries if e.unitised]), label="entry")
        units = data.draw(st.lists(st.sampled_from(entry.units), min_size=1, unique=True), label="units")
        scores = {unit: data.draw(st.sampled_from(RAW_CHOICES[unit]), label=unit) for unit in sorted(units)}
        self._import(entry, scores)

    @precondition(lambda self: any(e.result is not None and e.result.seen for e in self.model.entries))
    @rule(data=st.data())
    def amend(self, data: st.DataObject) -> None:
        seen = [e for e in self.model.entries if e.result is not None and e.result.seen]
        entry = data.draw(st.sampled_from(seen), label="entry")
        result = entry.result
        assert result is not None
        if entry.unitised:
            units = [u for u in entry.units if u in result.scores] or list(entry.units)
            unit = data.draw(st.sampled_from(units), label="unit")
            raw = data.draw(st.sampled_from([r for r in RAW_CHOICES[unit] if r != result.scores.get(unit)]))
            self._import(entry, {unit: raw})
        else:
            score = data.draw(st.sampled_from([s for s in FCE_SCORES if s != result.scores.get("reading")]))
            self._import(entry, dict.fromkeys(SKILLS, score))

    # --- release, hold, release again -------------------------------------------------------------------
    @rule()
    def release_due(self) -> None:
        with DjangoTestCase.captureOnCommitCallbacks(execute=True):
            results_release_due(now=self.model.now)
        for entry in self.model.entries:
            result = entry.result
            if result is not None and result.status == "ready" and self.model.candidate_sees(entry):
                result.status = "released"
                self.model.emails.add((entry.candidate_id, entry.index, "released", result.version))

    @precondition(lambda self: any(e.result is not None and e.result.status != "held" for e in self.model.entries))
    @rule(data=st.data())
    def hold(self, data: st.DataObject) -> None:
        entry = data.draw(
            st.sampled_from([e for e in self.model.entries if e.result is not None and e.result.status != "held"])
        )
        with DjangoTestCase.captureOnCommitCallbacks(execute=True):
            result_hold(result=self._result(entry), actor=None, reason="malpractice investigation")
        assert entry.result is not None
        instants = [i for i in (entry.result.released_at, entry.result.centre_released_at) if i is not None]
        out = bool(instants) and min(instants) <= self.model.now  # the hold keeps the instants of a result seen
        entry.result.held_out_at = entry.result.released_at if out else None
        entry.result.status = "held"
        entry.result.released_at = entry.result.centre_released_at = None

    @precondition(lambda self: any(e.result is not None and e.result.status == "held" for e in self.model.entries))
    @rule(data=st.data())
    def release_again(self, data: st.DataObject) -> None:
        entry = data.draw(
            st.sampled_from([e for e in self.model.entries if e.result is not None and e.result.status == "held"])
        )
        with DjangoTestCase.captureOnCommitCallbacks(execute=True):
            result_unhold(result=self._result(entry), actor=None, reason="investigation closed", now=self.model.now)
        assert entry.result is not None
        entry.result.status = "ready"
        entry.result.held_out_at = None
        entry.result.released_at, entry.result.centre_released_at = self.model.new_instants(entry.session)

    # --- reschedule -------------------------------------------------------------------------------------
    @rule(key=st.sampled_from(["FCE", "JAN", "JUN"]), move=st.sampled_from(["-1h", "+1h", "+3d", "+30d"]))
    def reschedule(self, key: str, move: str) -> None:
        session = self.exam_sessions[key]
        start = (
            self.model.now
            + {
                "-1h": dt.timedelta(hours=-1),
                "+1h": dt.timedelta(hours=1),
                "+3d": dt.timedelta(days=3),
                "+30d": dt.timedelta(days=30),
            }[move]
        )
        session.refresh_from_db()
        session.window_start = start
        session.window_end = start + dt.timedelta(days=21)
        if session.centre_release_at is not None:
            session.centre_release_at = start - dt.timedelta(days=1)
        with DjangoTestCase.captureOnCommitCallbacks(execute=True):
            session.save()  # as the admin saves it: the post_save signal reschedules
        m = self.model.sessions[key]
        m.window_start, m.window_end, m.centre_release = start, session.window_end, session.centre_release_at
        for entry in self.model.entries:
            result = entry.result
            if entry.session is not m or result is None or result.status == "held":
                continue
            assert result.released_at is not None and result.centre_released_at is not None
            if result.released_at > self.model.now:
                result.released_at = max(result.ready_at, m.window_start)
            if result.centre_released_at > self.model.now:
                result.centre_released_at = max(result.ready_at, m.centre_opens)

    # --- cash-in ----------------------------------------------------------------------------------------
    def _cash_in_open(self, entry: MEntry) -> bool:
        closing = entry.session.closing
        return (
            entry.unitised
            and not entry.cash_in
            and (closing is None or timezone.localtime(self.model.now).date() <= closing)
        )

    @precondition(lambda self: any(self._cash_in_open(e) for e in self.model.entries))
    @rule(data=st.data())
    def cash_in(self, data: st.DataObject) -> None:
        entry = data.draw(st.sampled_from([e for e in self.model.entries if self._cash_in_open(e)]), label="entry")
        with DjangoTestCase.captureOnCommitCallbacks(execute=True):
            certification_entry_create(entry=self.db_entries[entry.index], actor=self.staff.user, now=self.model.now)
        entry.cash_in = True
        self.model.qualifications_refresh(entry.person, set())

    # --- name correction --------------------------------------------------------------------------------
    def _correctable(self, entry: MEntry) -> bool:
        return not entry.unitised and entry.correction == "" and self.model.candidate_sees(entry)

    @precondition(lambda self: any(self._correctable(e) for e in self.model.entries))
    @rule(data=st.data())
    def name_correction_request(self, data: st.DataObject) -> None:
        entry = data.draw(st.sampled_from([e for e in self.model.entries if self._correctable(e)]), label="entry")
        certificate = document_current(result=self._result(entry), kind=Document.Kind.CERTIFICATE)
        _, _, first, last = PEOPLE[entry.person]
        with DjangoTestCase.captureOnCommitCallbacks(execute=True):
            amendment = certificate_amendment_request(
                certificate=certificate,
                actor=self.staff.user,
                reason=CertificateAmendment.Reason.MISSPELLING,
                corrected_first_name=first,
                corrected_last_name=last,
                explanation="misspelt on the entry",
                today=timezone.localtime(self.model.now).date(),
            )
        assert amendment.status == CertificateAmendment.Status.REQUESTED, amendment.refusal
        entry.correction, entry.amendment_pk = "requested", amendment.pk

    @precondition(lambda self: any(e.correction == "requested" for e in self.model.entries))
    @rule(data=st.data())
    def name_correction_returned(self, data: st.DataObject) -> None:
        entry = data.draw(st.sampled_from([e for e in self.model.entries if e.correction == "requested"]))
        amendment = CertificateAmendment.objects.get(pk=entry.amendment_pk)
        with DjangoTestCase.captureOnCommitCallbacks(execute=True):
            certificate_amendment_mark_returned(amendment=amendment, actor=self.staff.user)
        entry.correction = "returned"

    @precondition(lambda self: any(e.correction == "returned" for e in self.model.entries))
    @rule(data=st.data())
    def name_correction_issue(self, data: st.DataObject) -> None:
        entry = data.draw(st.sampled_from([e for e in self.model.entries if e.correction == "returned"]))
        amendment = CertificateAmendment.objects.get(pk=entry.amendment_pk)
        if self.model.candidate_sees(entry):
            with DjangoTestCase.captureOnCommitCallbacks(execute=True):
                issued = certificate_amendment_issue(
                    amendment=amendment, actor=self.staff.user, today=timezone.localtime(self.model.now).date()
                )
            assert issued.status == CertificateAmendment.Status.ISSUED, issued.refusal
            entry.correction = "issued"
        else:
            with pytest.raises(ValidationError) as refused:
                certificate_amendment_issue(amendment=amendment, actor=self.staff.user)
            assert refused.value.messages == [str(RESULT_NOT_AVAILABLE.message)]

    # --- share links ------------------------------------------------------------------------------------
    @precondition(lambda self: any(self.model.candidate_sees(e) for e in self.model.entries))
    @rule(data=st.data())
    def share_link(self, data: st.DataObject) -> None:
        entry = data.draw(st.sampled_from([e for e in self.model.entries if self.model.candidate_sees(e)]))
        client = self.candidates[entry.person]
        url = f"/results/{entry.public_id}/share/"
        response = client.post(url, {"expiry": "7", "organisation_name": "University of Testing"})
        assert response.status_code == 302, response.status_code
        page = client.get(url).content.decode()
        token = re.search(r"/verify/s/([A-Za-z0-9_-]+)", page)
        assert token is not None, "the new share link is shown once"
        self.model.links.append(MShareLink(entry, token.group(1), self.model.now + dt.timedelta(days=7)))

    # --- the clock --------------------------------------------------------------------------------------
    def _instants(self) -> list[dt.datetime]:
        moments = []
        for s in self.model.sessions.values():
            moments += [s.window_start, s.window_end, s.centre_opens]
        for e in self.model.entries:
            if e.result is not None:
                moments += [m for m in (e.result.released_at, e.result.centre_released_at) if m is not None]
        return sorted(m for m in moments if m > self.model.now)

    @initialize(start=st.sampled_from([START, JAN_RESULTS_EVE, FCE_RESULTS_EVE, JUN_RESULTS_EVE]))
    def start_clock(self, start: dt.datetime) -> None:
        """Start some histories on the eve of a results day (the machine's steps are few)."""
        self._move_clock(start)

    @rule(by=st.sampled_from(["1m", "1h", "1d", "7d", "30d"]))
    def advance_clock(self, by: str) -> None:
        units = {"1m": "minutes", "1h": "hours", "1d": "days", "7d": "days", "30d": "days"}
        self._move_clock(self.model.now + dt.timedelta(**{units[by]: int(by[:-1])}))

    @rule()
    def advance_to_next_instant(self) -> None:
        """Move the clock to the next release instant (or window end) the model knows of."""
        upcoming = self._instants()
        if upcoming:
            self._move_clock(upcoming[0])

    @rule()
    def advance_to_a_second_before_next_instant(self) -> None:
        upcoming = self._instants()
        if upcoming:
            self._move_clock(max(upcoming[0] - dt.timedelta(seconds=1), self.model.now + dt.timedelta(seconds=1)))

    def _move_clock(self, moment: dt.datetime) -> None:
        self.model.now = max(moment, self.model.now)
        self.model.mark_seen()
        # The beat's results-files job (every 15 minutes): each centre's files are written once a day.
        with DjangoTestCase.captureOnCommitCallbacks(execute=True):
            results_files_regenerate_all(now=self.model.now)
        today = timezone.localtime(self.model.now).date()
        for key in ("JAN", "JUN"):
            session = self.model.sessions[key]
            in_period = session.centre_opens <= self.model.now <= session.window_end
            if in_period and self.model.edi_built.get(key, (None, {}))[0] != today:
                self.model.edi_built[key] = (today, self._edi_expected(key))

    def _files_follow_events(self) -> None:
        """A stored results file is rebuilt when an event names one of its results (ADR 0009): expect that.

        Which changes record an event is held by tests/test_result_events.py; here the files must then show
        exactly what the centre may see at that moment.
        """
        events = ResultEvent.objects.filter(pk__gt=self._last_event, handled_at__isnull=False).order_by("pk")
        result_ids = {pk for event in events for pk in event.result_ids}
        self._last_event = max([self._last_event, *(event.pk for event in events)])
        entry_ids = set(Result.objects.filter(pk__in=result_ids).values_list("entry_id", flat=True))
        today = timezone.localtime(self.model.now).date()
        for key in {e.session.key for e in self.model.entries if e.pk in entry_ids}:
            if key in self.model.edi_built:
                self.model.edi_built[key] = (today, self._edi_expected(key))

    # --- expected views -----------------------------------------------------------------------------------
    def _edi_expected(self, key: str) -> dict[tuple[str, ...], tuple[Any, ...]]:
        """Return the centre's results-file rows of a series as the model sees them now (unit and qualification)."""
        rows: dict[tuple[str, ...], tuple[Any, ...]] = {}
        for entry in self.model.entries:
            if entry.session.key != key:
                continue
            visible = self.model.centre_sees(entry)
            result = entry.result
            scores = result.scores if result is not None and visible else {}
            for unit in UNITS:
                if unit in entry.units or unit in scores:
                    rows[("unit", entry.candidate_id, unit)] = (
                        ("R", scores[unit], unit_ums(unit, scores[unit]), unit_grade(unit_ums(unit, scores[unit])))
                        if unit in scores
                        else ("Q",)
                    )
            if entry.cash_in:
                shown = visible and result is not None and result.grade
                rows[("qualification", entry.candidate_id)] = (
                    ("R", result.overall, result.grade) if shown and result is not None else ("Q",)
                )
        return rows

    def _grade_text(self, entry: MEntry) -> str:
        # As every output shows a result (results.presentation): a cash-in still incomplete is 'Q' with its reason.
        result = entry.result
        assert result is not None
        if entry.unitised and not result.grade:
            if entry.cash_in:
                return f"Q — incomplete: no result yet for {', '.join(result.missing)}"
            return UNIT_ONLY
        return result.grade

    def _grade_awarded(self, entry: MEntry) -> str:
        # As files and the API write it: the grade, 'Q', or "Unit results only".
        result = entry.result
        assert result is not None
        if entry.unitised and not result.grade:
            return "Q" if entry.cash_in else "Unit results only"
        return result.grade

    def _overall_text(self, entry: MEntry) -> str:
        result = entry.result
        assert result is not None
        if entry.unitised:
            return "—" if result.overall is None else f"{result.overall} of 300 UMS"
        return str(result.overall)

    # --- reading every route after every step ------------------------------------------------------------
    @invariant()
    def every_route_shows_what_the_model_says(self) -> None:
        if not self.model.entries:
            return
        self.model.mark_seen()
        self._files_follow_events()
        self._dashboards: dict[int, str] = {}
        for entry in self.model.entries:
            self._candidate_routes(entry)
            self._verifier_routes(entry)
            self._centre_entry_routes(entry)
        self._share_links()
        self._qr_pages()
        self._centre_lists()
        self._unitised_pages()
        self._statistics()
        self._emails()
        self._no_silent_change()

    def _candidate_routes(self, entry: MEntry) -> None:
        client = self.candidates[entry.person]
        result, visible = entry.result, self.model.candidate_sees(entry)
        where = f"{entry.candidate_id} ({entry.session.key}) at {self.model.now:%Y-%m-%d %H:%M:%S %Z}"

        page = self._dashboard(entry.person)
        section = re.search(rf'aria-labelledby="entry-{entry.public_id}">(.*?)</section>', page, re.S)
        assert section is not None, where
        shown: tuple[Any, ...] = (_dd(section.group(1), "Your result"), _dd(section.group(1), "Your overall score"))
        if visible and result is not None:
            assert shown == (self._grade_text(entry), self._overall_text(entry)), f"dashboard {where}: {shown}"
        else:
            assert shown == (None, None), f"dashboard shows a result it may not: {where}: {shown}"

        response = client.get(f"/results/{entry.public_id}/")
        if visible and result is not None:
            html = response.content.decode()
            shown = (_dd(html, "Candidate name"), _dd(html, "Your result"), _dd(html, "Your overall score"))
            expected = (self.model.name(entry), self._grade_text(entry), self._overall_text(entry))
            assert shown == expected, f"statement {where}: {shown} != {expected}"
            assert ("This result was amended on" in html) == result.amended, f"statement amended notice {where}"
            self._remember(entry, "statement", shown[1:])
        else:
            assert response.status_code == 404, f"statement before release/while held {where}"

        status, body, kind = _get(client, f"/results/{entry.public_id}/statement.pdf")
        if visible:
            assert status in {200, 202}, f"statement PDF {where}: {status}"
            if status == 200:
                assert kind == "application/pdf" and body.startswith(b"%PDF"), where
        else:
            assert status == 404, f"statement PDF before release/while held {where}: {status}"

        status, body, _ = _get(client, f"/results/{entry.public_id}/share/")
        assert status == (200 if visible else 404), f"share page {where}: {status}"

        status, body, _ = _get(client, f"/results/{entry.public_id}/share/credential.json")
        if visible and result is not None:
            assert status == 200, f"credential {where}: {status}"
            credential = json.loads(body)
            subject = credential["credentialSubject"]
            values = [r["value"] for r in subject["result"]]
            expected_values = (
                [self._grade_awarded(entry)]
                + ([str(result.overall)] if result.overall is not None else [])
                + ([result.cefr] if result.cefr else [])
            )
            for code, raw in sorted(result.scores.items(), key=lambda kv: self._order(entry, kv[0])):
                expected_values.append(str(raw))
                if entry.unitised:  # a unit states its raw mark, then its UMS
                    expected_values.append(str(unit_ums(code, raw)))
            awarded = self._grade_awarded(entry)
            assert credential["name"].endswith(f": {awarded}"), f"credential {where}: {credential['name']}"
            assert values == expected_values, f"credential {where}: {values} != {expected_values}"
            # The name is hashed with the credential's salt, as a verifier told the name checks it.
            identity = subject["identifier"][0]
            named = hashlib.sha256((self.model.name(entry) + identity["salt"]).encode()).hexdigest()
            assert identity["identityHash"] == f"sha256${named}", f"credential name {where}"
        else:
            assert status == 404, f"credential before release/while held {where}: {status}"

    def _dashboard(self, person: int) -> str:
        if person not in self._dashboards:
            self._dashboards[person] = self.candidates[person].get("/results/").content.decode()
        return self._dashboards[person]

    def _order(self, entry: MEntry, code: str) -> int:
        return UNITS.index(code) if entry.unitised else SKILLS.index(code)

    def _expected_verification(self, entry: MEntry) -> tuple[Any, ...]:
        result = entry.result
        if self.model.candidate_sees(entry) and result is not None:
            # As every output shows a result: a total on the uniform mark scale, and what a result without cash-in is.
            if entry.unitised:
                overall = "—" if result.overall is None else f"{result.overall} of 300 UMS"
                return ("released", self._grade_text(entry), overall)
            return ("released", result.grade, str(result.overall))
        if self.model.under_review(entry):
            return ("under_review",)
        if self.model.now > entry.session.window_end:
            return ("pending",)
        return ("not_yet_released",)

    def _verifier_routes(self, entry: MEntry) -> None:
        where = f"{entry.candidate_id} ({entry.session.key}) at {self.model.now:%Y-%m-%d %H:%M:%S %Z}"
        expected = self._expected_verification(entry)
        anonymous = Client()
        html = anonymous.post("/verify/", {"candidate_id": entry.candidate_id, "secret_number": DEFAULT_SECRET})
        page = html.content.decode()
        assert _dd(page, "Candidate name") == self.model.name(entry), f"verify form name {where}"
        assert self._verified(page) == expected, f"verify form {where}: {self._verified(page)} != {expected}"

        body = anonymous.post(
            "/api/v1/verifications",
            data=json.dumps({"candidate_id": entry.candidate_id, "secret_number": DEFAULT_SECRET}),
            content_type="application/json",
        ).json()
        assert body["candidate_name"] == self.model.name(entry), f"API name {where}: {body['candidate_name']}"
        (api,) = body["results"]
        result = entry.result
        if expected[0] == "released" and result is not None:
            shown: tuple[Any, ...] = (
                api["status"],
                api["result"],
                api["overall_score"],
                api["cefr_level"],
                api["components"],
            )
            wanted: tuple[Any, ...] = (
                "released",
                self._grade_awarded(entry),
                result.overall,
                result.cefr or None,
                result.scores,
            )
            assert shown == wanted, f"API {where}: {shown} != {wanted}"
            self._remember(entry, "api", shown[1:])
        else:
            # The API's status has no "under review": it says pending or not yet released, as for any result not out.
            status = expected[0]
            if status == "under_review":
                status = "pending" if self.model.now > entry.session.window_end else "not_yet_released"
            shown = (api["status"], api["result"], api["overall_score"], api["components"])
            wanted = (status, "Q" if status == "pending" else None, None, None)
            assert shown == wanted, f"API {where}: {shown} != {wanted}"

    def _verified(self, page: str) -> tuple[Any, ...]:
        box = re.search(r'<section class="result-box"[^>]*id="verified">(.*?)</section>', page, re.S)
        assert box is not None, "the verified result is shown"
        outcome = _dd(box.group(1), "Result") or ""
        if outcome.startswith("Not yet released"):
            return ("not_yet_released",)
        if outcome == "Q — pending":
            return ("pending",)
        if outcome == "Under review":
            return ("under_review",)
        return ("released", outcome, _dd(box.group(1), "Overall score"))

    def _share_links(self) -> None:
        for link in self.model.links:
            entry = link.entry
            live = link.expires_at > self.model.now and self.model.candidate_sees(entry)
            status, body, _ = _get(Client(), f"/verify/s/{link.token}")
            where = f"share link of {entry.candidate_id} at {self.model.now:%Y-%m-%d %H:%M %Z}"
            if not live:
                assert status == 404, f"{where}: {status}"
                continue
            page = body.decode()
            assert status == 200, where
            assert _dd(page, "Candidate name") == self.model.name(entry), (
                f"{where}: name {_dd(page, 'Candidate name')}"
            )
            assert self._verified(page) == self._expected_verification(entry), where

    def _qr_pages(self) -> None:
        for document in Document.objects.select_related("result").order_by("pk"):
            entry = next(e for e in self.model.entries if e.pk == document.result.entry_id)
            status, body, _ = _get(Client(), f"/verify/v/{document_token(document_uuid=document.uuid)}")
            where = f"QR page of {entry.candidate_id}'s {document.kind} at {self.model.now:%Y-%m-%d %H:%M %Z}"
            result = entry.result
            if not self.model.candidate_sees(entry) or result is None:
                assert status == 404, f"{where}: {status}"
                continue
            assert status == 200, where
            page = body.decode()
            if "This document has been revoked." in page:
                continue
            shown = ("released", _dd(page, "Result"), _dd(page, "Overall score"))
            assert shown == self._expected_verification(entry), f"{where}: {shown}"

    def _centre_entry_routes(self, entry: MEntry) -> None:
        where = f"centre, {entry.candidate_id} ({entry.session.key}) at {self.model.now:%Y-%m-%d %H:%M:%S %Z}"
        visible, result = self.model.centre_sees(entry), entry.result
        status, body, _ = _get(self.centre, f"/centre/entries/{entry.public_id}/")
        assert status == 200
        assert ("Print a paper copy of the results" in body.decode()) == visible, f"entry page {where}"
        status, body, _ = _get(self.centre, f"/centre/entries/{entry.public_id}/results/")
        if visible and result is not None:
            page = body.decode()
            shown = (_dd(page, "Result"), _dd(page, "Overall score"), _dd(page, "CEFR level"))
            wanted = (self._grade_text(entry), self._overall_text(entry), result.cefr or "—")
            assert shown == wanted, f"paper copy {where}: {shown} != {wanted}"
            self._remember(entry, "centre", shown[:2])
        else:
            assert status == 404, f"paper copy {where}: {status}"
        status, _, _ = _get(self.centre, f"/centre/certificates/entries/{entry.public_id}/")
        assert status == (200 if visible else 404), f"certificates entry page {where}: {status}"
        if entry.unitised:
            series_out = self.model.now >= entry.session.centre_opens
            status, _, _ = _get(self.centre, f"/centre/unitised/entries/{entry.public_id}/slip/")
            assert status == (200 if series_out else 404), f"results slip {where}: {status}"
            status, body, _ = _get(self.centre, f"/centre/unitised/entries/{entry.public_id}/cumulative.pdf")
            assert status == (200 if series_out and entry.cash_in else 404), f"cumulative report {where}: {status}"

    def _centre_lists(self) -> None:
        when = f"at {self.model.now:%Y-%m-%d %H:%M:%S %Z}"
        expected: dict[str, tuple[Any, ...]] = {}
        for entry in self.model.entries:
            result = entry.result
            if self.model.centre_sees(entry) and result is not None:
                skills = tuple("" if entry.unitised else str(result.scores[s]) for s in SKILLS)
                overall = "" if result.overall is None else str(result.overall)
                expected[entry.candidate_id] = ("released", self._grade_awarded(entry), overall, result.cefr, *skills)
            elif self.model.now > entry.session.window_end or (
                entry.unitised and self.model.now >= entry.session.centre_opens  # docs/domain.md §4.1
            ):
                expected[entry.candidate_id] = ("pending", "Q", "", "", *[""] * 5)
            else:
                expected[entry.candidate_id] = ("not_yet_released", "", "", "", *[""] * 5)
        status, body, _ = _get(self.centre, "/centre/results.csv")
        shown = {
            row["candidate_id"]: (row["status"], row["result"], row["overall_score"], row["cefr_level"])
            + tuple(row[s] for s in SKILLS)
            for row in _csv(body)
        }
        assert shown == expected, f"centre results.csv {when}: {self._diff(shown, expected)}"

        status, body, _ = _get(self.teacher, "/centre/results.csv")
        shown_teacher = {row["candidate_id"] for row in _csv(body) if row["status"] == "released"}
        wanted_teacher = {e.candidate_id for e in self.model.entries if self.model.candidate_sees(e)}
        assert shown_teacher == wanted_teacher, f"teacher's results.csv {when}: {shown_teacher} != {wanted_teacher}"

        page = self.centre.get("/centre/results/").content.decode()
        html_rows = {row[0]: row for row in _rows(page) if row and row[0] in expected}
        for candidate_id, wanted in expected.items():
            row = html_rows[candidate_id]
            if wanted[0] == "released":
                cells = (row[3], row[4], row[5])
                entry = next(e for e in self.model.entries if e.candidate_id == candidate_id)
                assert cells == (self._grade_text(entry), self._overall_text(entry), wanted[3] or "—"), (
                    f"centre results {candidate_id} {when}"
                )
            elif wanted[0] == "pending":
                assert row[3].startswith("Q"), f"centre results {candidate_id} {when}: {row}"
            else:
                assert row[3].startswith("not released yet"), f"centre results {candidate_id} {when}: {row}"

        page = self.centre.get("/centre/certificates/").content.decode()
        listed = set(re.findall(r"certificates/entries/[0-9a-f-]+/\">([A-Z0-9]+)<", page))
        wanted_ids = {e.candidate_id for e in self.model.entries if self.model.centre_sees(e)}
        assert listed == wanted_ids, f"centre certificates list {when}: {listed} != {wanted_ids}"
        for document in Document.objects.select_related("result").order_by("pk"):
            entry = next(e for e in self.model.entries if e.pk == document.result.entry_id)
            status, _, _ = _get(self.centre, f"/centre/certificates/documents/{document.uuid}.pdf")
            if not self.model.centre_sees(entry):
                assert status == 404, f"centre document of {entry.candidate_id} {when}: {status}"
            elif document.status == Document.Status.CURRENT and self.model.candidate_sees(entry):
                assert status == 200, f"centre document of {entry.candidate_id} {when}: {status}"

    def _unitised_pages(self) -> None:
        when = f"at {self.model.now:%Y-%m-%d %H:%M:%S %Z}"
        assert self.centre.get("/centre/unitised/").status_code == 200
        for key in ("JAN", "JUN"):
            series = self.exam_sessions[key]
            m = self.model.sessions[key]
            base = f"/centre/unitised/series/{series.public_id}"
            out = self.model.now >= m.centre_opens
            entries = [e for e in self.model.entries if e.session is m]
            for path in ("entries/", "grade-boundaries/", "results-files/"):
                assert self.centre.get(f"{base}/{path}").status_code == 200, f"{base}/{path}"

            page = self.centre.get(f"{base}/results/").content.decode()
            for entry in entries:
                section = re.search(rf'<section class="entry" id="{entry.candidate_id}"(.*?)</section>', page, re.S)
                assert section is not None
                shown = self._unit_rows(section.group(1))
                wanted = self._unit_rows_expected(entry, out)
                assert shown == wanted, f"unitised results {entry.candidate_id} ({key}) {when}: {shown} != {wanted}"
                grade = _dd(section.group(1), "Qualification grade")
                result = entry.result
                if entry.cash_in and self.model.centre_sees(entry) and result is not None and result.grade:
                    assert grade == result.grade, f"qualification {entry.candidate_id} ({key}) {when}: {grade}"
                    total = _dd(section.group(1), "Total UMS")
                    assert total == f"{result.overall} / 300", f"total UMS {entry.candidate_id} {when}: {total}"
                else:
                    assert grade is None, f"qualification shown {entry.candidate_id} ({key}) {when}: {grade}"

            status, body, _ = _get(self.centre, f"{base}/special-consideration.csv")
            shown_sc = sorted((r["candidate_id"], r["unit_code"], r["raw_mark"], r["ums"]) for r in _csv(body))
            wanted_sc = sorted(
                (e.candidate_id, TARIFF_UNIT, str(raw), str(unit_ums(TARIFF_UNIT, raw)))
                for e in entries
                if out and self.model.centre_sees(e) and e.result is not None
                for raw in [e.result.scores.get(TARIFF_UNIT)]
                if raw is not None
            )
            assert shown_sc == wanted_sc, f"special consideration ({key}) {when}: {shown_sc} != {wanted_sc}"
            self._edi(key, base, out)

    def _unit_rows(self, html: str) -> dict[str, tuple[Any, ...]]:
        shown: dict[str, tuple[Any, ...]] = {}
        for row in _rows(html):
            if not row or not re.match(r"F24\d ", row[0]):
                continue
            if len(row) == 4:
                raw, ums, grade = row[1].split(" / ")[0], row[2].split(" / ")[0], row[3]
                shown[row[0][:4]] = ("R", int(raw), int(ums), grade)
            else:
                shown[row[0][:4]] = ("Q",) if row[1].startswith("Q") else ("not released yet",)
        return shown

    def _unit_rows_expected(self, entry: MEntry, out: bool) -> dict[str, tuple[Any, ...]]:
        result = entry.result
        scores = result.scores if result is not None and self.model.centre_sees(entry) and out else {}
        wanted: dict[str, tuple[Any, ...]] = {}
        for unit in UNITS:
            if unit in scores:
                ums = unit_ums(unit, scores[unit])
                wanted[unit] = ("R", scores[unit], ums, unit_grade(ums))
            elif unit in entry.units:
                wanted[unit] = ("Q",) if out else ("not released yet",)
        return wanted

    def _edi(self, key: str, base: str, out: bool) -> None:
        when = f"at {self.model.now:%Y-%m-%d %H:%M:%S %Z}"
        built = self.model.edi_built.get(key)
        for kind in ("unit", "qualification"):
            status, body, _ = _get(self.centre, f"{base}/results-files/{kind}.csv")
            if not out or built is None:
                assert status == 404, f"results {kind} file ({key}) {when}: {status}"
                continue
            assert status == 200, f"results {kind} file ({key}) {when}: {status}"
            current = self._edi_expected(key)
            _day, at_build = built
            for row in _csv(body):
                if kind == "unit":
                    row_key: tuple[str, ...] = ("unit", row["candidate_id"], row["unit_code"])
                    value: tuple[Any, ...] = (
                        ("R", int(row["raw_mark"]), int(row["ums"]), row["unit_grade"])
                        if row["status"] == "R"
                        else ("Q",)
                    )
                else:
                    row_key = ("qualification", row["candidate_id"])
                    value = ("R", int(row["total_ums"]), row["grade"]) if row["status"] == "R" else ("Q",)
                assert row_key in at_build, f"results {kind} file ({key}) {when}: unexpected row {row_key}"
                late = value == ("Q",) and at_build[row_key] == ("Q",)
                assert value == current.get(row_key) or late, (
                    f"results {kind} file ({key}) {when}: {row_key} shows {value}, "
                    f"the centre may see {current.get(row_key)}"
                )

    def _statistics(self) -> None:
        # Two people: every exam and year has fewer than 10 results, so only a "<10" total is ever published,
        # never which results occurred (docs/domain.md §15.3).
        when = f"at {self.model.now:%Y-%m-%d %H:%M:%S %Z}"
        expected = set()
        for entry in self.model.entries:
            result = entry.result
            if self.model.candidate_sees(entry) and entry.session.window_end <= self.model.now and result is not None:
                if result.grade:
                    code = "FCE" if not entry.unitised else "ANBUS"
                    expected.add((code, str(entry.session.date.year), "Total", "", "<10"))
        status, body, _ = _get(Client(), "/statistics/grade-statistics.csv")
        shown = {(r["exam_code"], r["year"], r["result"], r["cefr_level"], r["candidates"]) for r in _csv(body)}
        assert shown == expected, f"statistics CSV {when}: {shown} != {expected}"
        page = Client().get("/statistics/").content.decode()
        assert "<desc>" not in page, f"statistics page {when}: a chart of fewer than 10 results"
        headings = set(re.findall(r'<h2 id="stats-[^"]*">([^<]*)</h2>', page))
        wanted = {
            f"B2 First \u2014 {year}" if code == "FCE" else f"Advanced National in Business \u2014 {year}"
            for code, year, _, _, _ in expected
        }
        assert {unescape(h) for h in headings} == wanted, f"statistics page {when}: {headings} != {wanted}"
        assert page.count("Fewer than 10 results — not shown.") == len(wanted), f"statistics page {when}"

    def _emails(self) -> None:
        when = f"at {self.model.now:%Y-%m-%d %H:%M:%S %Z}"
        by_pk = {e.pk: e for e in self.model.entries}
        sent = {
            (row.result.entry.candidate_id, by_pk[row.result.entry_id].index, row.kind, row.result_version)
            for row in OutgoingEmail.objects.select_related("result__entry").filter(state=OutgoingEmail.State.SENT)
        }
        assert sent == self.model.emails, f"emails {when}: sent {sorted(sent)}, expected {sorted(self.model.emails)}"
        assert len(mail.outbox) == len(self.model.emails), when
        for message in mail.outbox:
            for grade in ("Grade A", "Grade B", "Grade C", "Level B1", "Distinction", "Merit", "Pass"):
                assert grade not in message.body, f"an email names a result: {message.subject}"

    # --- nothing released changes without an amendment ------------------------------------------------
    def _remember(self, entry: MEntry, route: str, shown: tuple[Any, ...]) -> None:
        """Record what a route showed of a result; a change since must come with a new version (an amendment)."""
        version = Result.objects.filter(entry_id=entry.pk).values_list("version", flat=True).first() or 0
        before = self.observed.get((route, entry.index))

        def pending(values: tuple[Any, ...]) -> bool:
            # 'Q': no qualification result yet (a cash-in still incomplete), which is not a result to amend.
            return bool(values) and isinstance(values[0], str) and (values[0] == "Q" or values[0].startswith("Q — "))

        if before is not None and before[0] != shown and not (pending(before[0]) or pending(shown)):
            assert version > before[1], (
                f"{route} of {entry.candidate_id} changed from {before[0]} to {shown} at "
                f"{self.model.now:%Y-%m-%d %H:%M %Z} without an amendment (version {before[1]} → {version})"
            )
        self.observed[(route, entry.index)] = (shown, version)

    def _no_silent_change(self) -> None:
        for entry in self.model.entries:
            result = entry.result
            if result is None:
                continue
            stored = Result.objects.filter(entry_id=entry.pk).values_list("version", flat=True).first()
            assert stored == result.version, (
                f"{entry.candidate_id} ({entry.session.key}) is at version {stored}; "
                f"the model expects {result.version}"
            )

    def _diff(self, shown: dict[str, Any], expected: dict[str, Any]) -> dict[str, Any]:
        return {
            k: (shown.get(k), expected.get(k))
            for k in sorted(set(shown) | set(expected))
            if shown.get(k) != expected.get(k)
        }


EmbargoMachine.TestCase.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=STEPS,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    # Shrinking re-runs the slow steps hundreds of times: only on request (the failing steps are printed anyway).
    phases=[
        Phase.explicit,
        Phase.reuse,
        Phase.generate,
        *([Phase.shrink] if os.environ.get("EMBARGO_SHRINK") else []),
    ],
    print_blob=True,
    derandomize=not os.environ.get("EMBARGO_RANDOM"),
)
TestEmbargo = EmbargoMachine.TestCase
# About two minutes on an idle two-core machine: its own limit, above the suite's 120 s for a single test.
TestEmbargo.pytestmark = [pytest.mark.timeout(600)]  # type: ignore[attr-defined]
