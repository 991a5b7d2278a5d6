"""A small, believable demo data set so that ``make run`` shows something real.

Two centres, three sessions (one whose results are released, one inside its release window, one whose
window has not opened), candidates with entries and, where due, results graded through ``grading/``; a unitised
series; one legacy result (Delta Module One, June 2016) on an old-style Statement of Results; the board's
fees of the year, and enquiries about the released session's results in every state (``DEMO_ENQUIRIES``).
The demo login details are fixed and printed, so a developer can try the candidate pages.
"""

import base64
import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from centres.models import Candidate, Centre, Entry, StaffMember
from centres.services import secret_number_hash
from exams.models import Component, Exam, ExamSession, ServiceFee
from grading.scale import scale_exam, scale_result

from .enquiries import enquiry_complete, enquiry_consent_record_written, enquiry_raise, enquiry_start
from .models import ComponentScore, Result, ResultEnquiry
from .services import results_release_due

DEMO_CENTRE_NUMBERS = ("GB901", "ES902")
DEMO_BOARD_USERNAME = "board@example.org"
DEMO_BOARD_PASSWORD = "demo-board-password"  # noqa: S105 - printed by load_demo, demo only
DEMO_OFFICER_USERNAME = "officer@riverside.example"
DEMO_OFFICER_PASSWORD = "demo-officer-password"  # noqa: S105 - printed by load_demo, demo only
# Demo only: a fixed TOTP key so the printed secret keeps working across runs (base32 of these bytes).
DEMO_TOTP_KEY_HEX = "3132333435363738393031323334353637383930"


@dataclass(frozen=True)
class DemoEntry:
    """One demo Confirmation of Entry as printed by ``load_demo``."""

    candidate_id: str
    secret_number: str
    date_of_birth: str
    name: str
    session: str
    status: str


# (first name, last name, date of birth, centre, scores in the exam's skill order or None for no result yet)
_FCE_PAPER_CANDIDATES = [
    ("Amelia", "Hughes", "2006-03-14", "GB901", (176, 181, 169, 172, 180)),
    ("Rahul", "Patel", "2005-11-02", "GB901", (184, 186, 181, 189, 185)),
    ("Sofía", "García", "2007-01-23", "ES902", (158, 165, 161, 160, 170)),
    ("Javier", "Moreno", "2006-07-30", "ES902", (141, 150, 138, 146, 149)),
]
_KET_COMPUTER_CANDIDATES = [
    # A2 Key from 2020: Reading and Writing (counting twice), Listening, Speaking.
    ("Lucía", "Fernández", "2011-05-09", "ES902", (140, 145, 141)),
    ("Oliver", "Bennett", "2012-02-17", "GB901", (129, 126, 134)),
    ("Chen", "Wei", "2011-09-28", "GB901", None),
]
# The board's fees of the demo year, in pounds.
DEMO_FEES = {
    ServiceFee.Service.CLERICAL_RECHECK: "12.00",
    ServiceFee.Service.REVIEW_OF_MARKING: "48.00",
    ServiceFee.Service.CERTIFYING_STATEMENT: "52.00",
    ServiceFee.Service.DUPLICATE_CERTIFICATE: "40.00",
}
# Enquiries about the released First results: (last name, component, service, what the board did: None received,
# "start" in progress, or an outcome with the new mark). Sofía García's writing down to 143 takes her overall score
# from 163 to 159: Grade C becomes Level B1 (grades can go down as well as up).
DEMO_ENQUIRIES = [
    ("Hughes", "writing", ResultEnquiry.Service.REVIEW_OF_MARKING, None, None),
    ("Patel", "reading", ResultEnquiry.Service.CLERICAL_RECHECK, "start", None),
    ("Patel", "listening", ResultEnquiry.Service.REVIEW_OF_MARKING, ResultEnquiry.Outcome.MARKS_CHANGED, 190),
    ("Moreno", "reading", ResultEnquiry.Service.CLERICAL_RECHECK, ResultEnquiry.Outcome.NO_CHANGE, None),
    ("García", "writing", ResultEnquiry.Service.REVIEW_OF_MARKING, ResultEnquiry.Outcome.GRADE_CHANGED, 143),
]
_CAE_FUTURE_CANDIDATES = [
    ("Amelia", "Hughes", "2006-03-14", "GB901", None),
    ("Marta", "Ruiz", "2003-12-05", "ES902", None),
]


def _session(*, code: str, date: dt.date, mode: str) -> ExamSession:
    exam = Exam.objects.get(code=code)
    session, _ = ExamSession.objects.get_or_create(exam=exam, date=date, mode=mode)
    return session


def _result(*, entry: Entry, scores: tuple[int, ...], released_at: dt.datetime | None, ready_at: dt.datetime) -> None:
    exam, on = entry.session.exam, entry.session.date
    by_code = {c.code: c for c in Component.objects.filter(exam=exam)}
    components = [by_code[code] for code in scale_exam(exam.code, on=on).skills]
    graded = scale_result(
        exam_code=exam.code, on=on, scores={c.code: s for c, s in zip(components, scores, strict=True)}
    )
    result = Result.objects.create(
        entry=entry,
        status=Result.Status.RELEASED if released_at else Result.Status.READY,
        overall_score=graded.overall,
        grade=graded.result,
        cefr_level=graded.cefr_level or "",
        certificate=graded.certificate,
        ready_at=ready_at,
        released_at=released_at,
        centre_released_at=released_at,
    )
    ComponentScore.objects.bulk_create(
        ComponentScore(result=result, component=c, score=s) for c, s in zip(components, scores, strict=True)
    )


@transaction.atomic
def demo_load(*, today: dt.date | None = None) -> tuple[bool, list[DemoEntry]]:
    """Load the demo data once; return (whether anything was created, the demo login details).

    Running it again changes nothing: the demo centres mark the data set as loaded.
    """
    already = Centre.objects.filter(number__in=DEMO_CENTRE_NUMBERS).exists()
    if not already:
        _create(today=today or timezone.localdate())
        _create_staff_users()
        _create_unitised(today=today or timezone.localdate())
        _create_legacy()
        results_release_due()
        _create_enquiries(today=today or timezone.localdate())
    return not already, _demo_entries()


def demo_totp_secret() -> str:
    """Return the demo board user's TOTP secret in base32, as authenticator apps take it."""
    return base64.b32encode(bytes.fromhex(DEMO_TOTP_KEY_HEX)).decode()


def _create_staff_users() -> None:
    if not User.objects.filter(username=DEMO_BOARD_USERNAME).exists():
        board = User.objects.create_superuser(
            username=DEMO_BOARD_USERNAME, email=DEMO_BOARD_USERNAME, password=DEMO_BOARD_PASSWORD
        )
        TOTPDevice.objects.create(user=board, name="demo authenticator", key=DEMO_TOTP_KEY_HEX, confirmed=True)
    if not User.objects.filter(username=DEMO_OFFICER_USERNAME).exists():
        officer = User.objects.create_user(
            username=DEMO_OFFICER_USERNAME, email=DEMO_OFFICER_USERNAME, password=DEMO_OFFICER_PASSWORD
        )
        StaffMember.objects.create(
            user=officer, centre=Centre.objects.get(number="GB901"), role=StaffMember.Role.EXAMS_OFFICER
        )
        TOTPDevice.objects.create(user=officer, name="demo authenticator", key=DEMO_TOTP_KEY_HEX, confirmed=True)


def _create(*, today: dt.date) -> None:
    centres = {
        "GB901": Centre.objects.create(
            number="GB901", name="Riverside Language School", country="United Kingdom", email="exams@riverside.example"
        ),
        "ES902": Centre.objects.create(
            number="ES902", name="Academia Sol de Valencia", country="Spain", email="examenes@academiasol.example"
        ),
    }
    released = _session(code="FCE", date=today - dt.timedelta(days=70), mode=ExamSession.Mode.PAPER)
    in_window = _session(code="KET", date=today - dt.timedelta(days=18), mode=ExamSession.Mode.COMPUTER)
    upcoming = _session(code="CAE", date=today + dt.timedelta(days=21), mode=ExamSession.Mode.PAPER)
    people: dict[tuple[str, str], Candidate] = {}
    serial = 100
    for session, rows in (
        (released, _FCE_PAPER_CANDIDATES),
        (in_window, _KET_COMPUTER_CANDIDATES),
        (upcoming, _CAE_FUTURE_CANDIDATES),
    ):
        for first, last, born, centre_number, scores in rows:
            serial += 1
            person = people.get((first, last))
            if person is None:
                person = Candidate.objects.create(
                    centre=centres[centre_number],
                    first_name=first,
                    last_name=last,
                    date_of_birth=dt.date.fromisoformat(born),
                )
                people[(first, last)] = person
            entry = Entry.objects.create(
                person=person,
                session=session,
                centre=centres[centre_number],
                candidate_id=_demo_candidate_id(serial),
                secret_hash=secret_number_hash(secret_number=_demo_secret(serial)),
                secret_issued_at=timezone.now(),
            )
            if scores is not None:
                ready_at = session.window_start - dt.timedelta(days=1)
                _result(entry=entry, scores=scores, released_at=session.window_start, ready_at=ready_at)


def _create_enquiries(*, today: dt.date) -> None:
    """Set the fees and the released session's enquiry deadline, and raise and work the demo enquiries."""
    for fee_service, amount in DEMO_FEES.items():
        ServiceFee.objects.get_or_create(service=fee_service, year=today.year, defaults={"amount": amount})
    session = ExamSession.objects.get(exam__code="FCE", date=today - dt.timedelta(days=70))
    session.enquiry_deadline = today + dt.timedelta(days=20)
    session.save(update_fields=["enquiry_deadline"])
    officer = User.objects.get(username=DEMO_OFFICER_USERNAME)
    board = User.objects.get(username=DEMO_BOARD_USERNAME)
    for last_name, code, service, work, mark in DEMO_ENQUIRIES:
        result = Result.objects.select_related("entry__person").get(
            entry__session=session, entry__person__last_name=last_name
        )
        if not result.enquiry_consents.exists():
            enquiry_consent_record_written(
                result=result, actor=officer, signed_by=result.entry.person.full_name, signed_on=today
            )
        component = Component.objects.get(exam=session.exam, code=code)
        enquiry = enquiry_raise(result=result, component=component, service=service, actor=officer, today=today)
        if work == "start":
            enquiry_start(enquiry=enquiry, actor=board)
        elif work is not None:
            enquiry_start(enquiry=enquiry, actor=board)
            enquiry_complete(enquiry=enquiry, actor=board, outcome=work, new_score=mark, note="Demo outcome.")


def _demo_candidate_id(serial: int) -> str:
    return f"DEM{serial:06d}"


def _demo_secret(serial: int) -> str:
    # Demo only: fixed and printed so that a developer can register. Real secrets come from ``secrets``.
    return f"{(serial * 7919) % 10000:04d}"


def _demo_entries() -> list[DemoEntry]:
    entries = Entry.objects.filter(centre__number__in=DEMO_CENTRE_NUMBERS).select_related(
        "person", "session__exam", "result"
    )
    listed = []
    for entry in entries.order_by("candidate_id"):
        serial = int(entry.candidate_id.removeprefix("DEM"))
        has_result = hasattr(entry, "result")
        listed.append(
            DemoEntry(
                candidate_id=entry.candidate_id,
                secret_number=_demo_secret(serial),
                date_of_birth=entry.person.date_of_birth.strftime("%d/%m/%Y"),
                name=entry.person.full_name,
                session=str(entry.session),
                status=entry.result.get_status_display() if has_result else "no result yet",
            )
        )
    return listed


# A unitised qualification (Advanced Nationals style) whose summer series is out: centres had the restricted
# release at 00:01 three days ago, candidates from 08:00 two days ago. Units: two mandatory, one of two optional.
_UNITS = [
    ("F240", "Business environment (exam)", "examined_unit", 60, True),
    ("F241", "Marketing campaign (NEA)", "nea_unit", 12, True),
    ("F242", "Finance (exam)", "examined_unit", 60, False),
    ("F243", "Customer service (exam)", "examined_unit", 60, False),
]
_UNIT_STUDENTS = [
    ("Oliver", "Bennett", "2008-02-17", {"F240": 45, "F241": 8, "F242": 30}, True),
    ("Chen", "Wei", "2008-09-28", {"F240": 28, "F241": 5}, False),
]


def _create_unitised(*, today: dt.date) -> None:
    from centres.services import certification_entry_create, unit_entries_set
    from exams.models import GradeBoundaryTable

    from .imports import results_import

    exam = Exam.objects.create(
        code="ANBUS",
        name="Advanced National in Business",
        family=Exam.Family.UNITISED,
        size="Certificate (180 GLH)",
        ums_max_total=300,
        qualification_boundaries=[120, 165, 210, 255],
        optional_units_required=1,
        verifiable_online=False,
    )
    for order, (code, name, kind, max_mark, mandatory) in enumerate(_UNITS, start=1):
        Component.objects.create(
            exam=exam,
            code=code,
            name=name,
            kind=kind,
            order=order,
            max_mark=max_mark,
            ums_max=100,
            ums_boundaries=[40, 60, 80],
            mandatory=mandatory,
        )
    tz = timezone.get_default_timezone()
    series = ExamSession.objects.create(
        exam=exam,
        date=today - dt.timedelta(days=60),
        mode=ExamSession.Mode.PAPER,
        centre_release_at=dt.datetime.combine(today - dt.timedelta(days=3), dt.time(0, 1), tzinfo=tz),
        window_start=dt.datetime.combine(today - dt.timedelta(days=2), dt.time(8, 0), tzinfo=tz),
        window_end=dt.datetime.combine(today + dt.timedelta(days=40), dt.time(23, 59), tzinfo=tz),
        certification_closing_date=today + dt.timedelta(days=30),
    )
    for unit in exam.components.all():
        top = int(unit.max_mark or 0)
        GradeBoundaryTable.objects.create(
            session=series,
            component=unit,
            kind=GradeBoundaryTable.Kind.UNIT_RAW,
            version=1,
            boundaries=[["pass", str(top // 3)], ["merit", str(top // 2)], ["distinction", str(top * 2 // 3)]],
            source="demo data",
        )
    centre = Centre.objects.get(number="GB901")
    lines = ["candidate_id,exam_code,session_date,component,score"]
    cash_ins = []
    for serial, (first, last, born, marks, cash_in) in enumerate(_UNIT_STUDENTS, start=201):
        person = Candidate.objects.filter(centre=centre, first_name=first, last_name=last).first()
        person = person or Candidate.objects.create(
            centre=centre, first_name=first, last_name=last, date_of_birth=dt.date.fromisoformat(born)
        )
        entry = Entry.objects.create(
            person=person,
            session=series,
            centre=centre,
            candidate_id=_demo_candidate_id(serial),
            secret_hash=secret_number_hash(secret_number=_demo_secret(serial)),
            secret_issued_at=timezone.now(),
        )
        unit_entries_set(entry=entry, unit_codes=list(marks), actor=None)
        lines += [f"{entry.candidate_id},ANBUS,{series.date},{unit},{raw}" for unit, raw in marks.items()]
        if cash_in:
            cash_ins.append(entry)
    ready = series.centre_release_at - dt.timedelta(days=5) if series.centre_release_at else timezone.now()
    results_import(text="\n".join(lines) + "\n", now=ready)
    for entry in cash_ins:
        certification_entry_create(entry=entry, actor=None, now=ready)


# A legacy result (docs/domain.md §6.4): Delta Module One of 1 June 2016, imported from raw paper marks through the
# legacy import. The aggregate thresholds are the demo board's own figures, entered as the board enters them (the
# real ones change per session and are not public).
_DELTA_SERIAL = 200
_DELTA_THRESHOLDS = [("Pass with Distinction", 150), ("Pass with Merit", 130), ("Pass", 100)]


def _create_legacy() -> None:
    from exams.models import GradeBoundaryTable
    from exams.services import boundary_table_set

    from .legacy import legacy_results_import

    session = _session(code="DELTA1", date=dt.date(2016, 6, 1), mode=ExamSession.Mode.PAPER)
    boundary_table_set(
        session=session,
        kind=GradeBoundaryTable.Kind.AGGREGATE,
        boundaries=_DELTA_THRESHOLDS,
        actor=None,
        reason="demo data",
        source="demo figures, not the board's",
    )
    centre = Centre.objects.get(number="GB901")
    person = Candidate.objects.create(
        centre=centre, first_name="Grace", last_name="Thompson", date_of_birth=dt.date(1988, 4, 21)
    )
    entry = Entry.objects.create(
        person=person,
        session=session,
        centre=centre,
        candidate_id=_demo_candidate_id(_DELTA_SERIAL),
        secret_hash=secret_number_hash(secret_number=_demo_secret(_DELTA_SERIAL)),
        secret_issued_at=timezone.now(),
    )
    lines = [
        f"{entry.candidate_id},DELTA1,2016-06-01,{paper},{mark}" for paper, mark in (("paper1", 74), ("paper2", 62))
    ]
    legacy_results_import(text="candidate_id,exam_code,session_date,component,score\n" + "\n".join(lines) + "\n")
