"""The centre's unitised pages: unit entries, cash-in (late, closed), results with 'Q', embargo, isolation, MIR."""

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.formats import date_format

import centres.admin_mir  # noqa: F401 - registers the MIR admin (centres/admin.py imports it in the app)
from accounts.models import AuditEvent
from centres.mir import MIR_RESOLUTION_REQUIRED
from centres.models import CertificationEntry, Entry, MissingResultRequest, UnitEntry
from centres.services import (
    CASH_IN_CLOSED,
    CASH_IN_UNITS_MISSING,
    UNIT_WITHDRAWAL_CLOSED,
    certification_entry_create,
    unit_entries_set,
)
from centres.tests.factories import CentreFactory, EntryFactory, StaffMemberFactory
from conftest import CommittingClient, otp_login
from exams.models import Exam, ExamSession, GradeBoundaryTable
from results.centre_files import results_files_regenerate_all
from results.imports import RESULT_COLUMNS, results_import
from results.models import Result
from results.services import result_hold
from results.tests.factories import UK, unitised_qualification, unitised_series
from results_portal.tests.same_answer import same_but_tokens

pytestmark = pytest.mark.django_db

BEFORE_EXAM = dt.datetime(2026, 6, 9, 23, 0, tzinfo=UK)  # the June series' exam is on the 10th
BEFORE_RESULTS = dt.datetime(2026, 8, 1, 9, 0, tzinfo=UK)
MIDNIGHT = dt.datetime(2026, 8, 12, 0, 0, tzinfo=UK)
CENTRE_RELEASE = dt.datetime(2026, 8, 12, 0, 1, tzinfo=UK)
RESULTS_WEEK = dt.datetime(2026, 8, 20, 10, 0, tzinfo=UK)
CLOSING = date_format(dt.date(2026, 9, 24), "DATE_FORMAT")
HOLD_REASON = "Malpractice investigation, your centre was told on 3 August"


@dataclass
class World:
    exam: Exam
    january: ExamSession
    june: ExamSession
    client: Client
    member: Any
    first: Entry  # January: F240
    second: Entry  # June, the same student: F240, F241, F242

    @property
    def centre(self) -> Any:
        return self.member.centre


def csv_rows(rows: list[tuple[Entry, str, int]], extra: str = "") -> str:
    header = ",".join(RESULT_COLUMNS) + (f",{extra}" if extra else "")
    lines = [f"{e.candidate_id},{e.session.exam.code},{e.session.date},{unit},{raw}" for e, unit, raw in rows]
    return "\n".join([header, *lines]) + "\n"


def staff_client(centre: Any = None) -> tuple[Client, Any]:
    member = StaffMemberFactory(centre=centre or CentreFactory())
    return otp_login(CommittingClient(), member.user), member


def student(world: World, units: list[str], *, session: ExamSession | None = None, **person: Any) -> Entry:
    entry = cast(Entry, EntryFactory(session=session or world.june, person__centre=world.centre, **person))
    unit_entries_set(entry=entry, unit_codes=units, actor=None)
    return entry


def build_world() -> World:
    exam = unitised_qualification()
    january, june = unitised_series(exam, month=1), unitised_series(exam, month=6)
    client, member = staff_client()
    first = EntryFactory(session=january, person__centre=member.centre, person__last_name="Adams")
    second = EntryFactory(session=june, person=first.person, centre=member.centre)
    unit_entries_set(entry=first, unit_codes=["F240"], actor=None)
    unit_entries_set(entry=second, unit_codes=["F240", "F241", "F242"], actor=None)
    return World(exam, january, june, client, member, first, second)


def late_june_series(world: World) -> ExamSession:
    """Return a second series of the qualification in June (the 24th), with the June boundaries and release."""
    june = world.june
    late = ExamSession.objects.create(
        exam=world.exam,
        date=dt.date(2026, 6, 24),
        mode=ExamSession.Mode.COMPUTER,
        window_start=june.window_start,
        window_end=june.window_end,
        centre_release_at=june.centre_release_at,
        certification_closing_date=june.certification_closing_date,
    )
    for table in GradeBoundaryTable.objects.filter(session=june):
        table.pk, table.session = None, late
        table.save()
    return late


@pytest.fixture
def world() -> World:
    return build_world()


def results_in(world: World) -> None:
    """Give the student results: January F240 raw 20 (40 UMS), June F240 45, F241 8, F242 30."""
    results_import(text=csv_rows([(world.first, "F240", 20)]), now=dt.datetime(2026, 2, 1, tzinfo=UK))
    second = world.second
    results_import(
        text=csv_rows([(second, "F240", 45), (second, "F241", 8), (second, "F242", 30)]), now=BEFORE_RESULTS
    )


def url(name: str, world: World, entry: Entry | None = None) -> str:
    series, target = world.june.public_id, (entry or world.second).public_id
    return {
        "home": "/centre/unitised/",
        "entries": f"/centre/unitised/series/{series}/entries/",
        "results": f"/centre/unitised/series/{series}/results/",
        "boundaries": f"/centre/unitised/series/{series}/grade-boundaries/",
        "special": f"/centre/unitised/series/{series}/special-consideration.csv",
        "files": f"/centre/unitised/series/{series}/results-files/",
        "files_unit": f"/centre/unitised/series/{series}/results-files/unit.csv",
        "units": f"/centre/unitised/entries/{target}/units/",
        "cash_in": f"/centre/unitised/entries/{target}/cash-in/",
        "slip": f"/centre/unitised/entries/{target}/slip/",
        "cumulative": f"/centre/unitised/entries/{target}/cumulative.pdf",
        "mir_new": f"/centre/unitised/entries/{target}/mir/",
        "mir": "/centre/unitised/mir/",
    }[name]


def text_of(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# --- Access ------------------------------------------------------------------------------------------------
def test_every_page_needs_a_centre_login(world: World) -> None:
    anonymous = CommittingClient()
    for name in [
        "home",
        "entries",
        "results",
        "boundaries",
        "special",
        "files",
        "files_unit",
        "slip",
        "mir",
        "mir_new",
    ]:
        response = anonymous.get(url(name, world))
        assert response.status_code == 302 and response["Location"].startswith("/centre/login/"), name
    for name in ["units", "cash_in"]:
        assert anonymous.post(url(name, world)).status_code == 302


def test_another_centres_series_and_students_are_404(
    world: World, at: Callable[[dt.datetime], None], settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    results_in(world)
    certification_entry_create(entry=world.second, actor=None, now=BEFORE_RESULTS)
    results_files_regenerate_all(now=RESULTS_WEEK)
    other, other_member = staff_client()
    at(RESULTS_WEEK)
    for name in [
        "entries",
        "results",
        "boundaries",
        "special",
        "files",
        "files_unit",
        "slip",
        "cumulative",
        "mir_new",
    ]:
        assert world.client.get(url(name, world)).status_code == 200, name
        assert other.get(url(name, world)).status_code == 404, name
    for name in ["units", "cash_in", "mir_new"]:
        assert other.post(url(name, world), {"description": "x"}).status_code == 404, name
    assert str(world.june.public_id) in world.client.get(url("home", world)).content.decode()
    assert str(world.june.public_id) not in other.get(url("home", world)).content.decode()

    # A series both centres have students in: the other centre still cannot reach this centre's students.
    EntryFactory(session=world.june, person__centre=other_member.centre)
    assert other.get(url("entries", world)).status_code == 200
    assert world.second.candidate_id not in other.get(url("entries", world)).content.decode()
    assert world.second.candidate_id not in other.get(url("results", world)).content.decode()
    assert world.second.candidate_id not in other.get(url("special", world)).content.decode()
    for name in ["slip", "cumulative", "mir_new"]:
        assert other.get(url(name, world)).status_code == 404, name
    assert not CertificationEntry.objects.filter(entry__centre=other_member.centre).exists()


# --- Unit entries ------------------------------------------------------------------------------------------
def test_entries_page_lists_students_with_their_units(world: World, at: Callable[[dt.datetime], None]) -> None:
    at(BEFORE_RESULTS)
    elsewhere = EntryFactory(session=world.june)

    page = text_of(world.client.get(url("entries", world)))

    assert world.second.candidate_id in page and elsewhere.candidate_id not in page
    prefix = world.second.candidate_id.lower()
    checked = set(re.findall(rf'name="{prefix}-units" value="(\w+)"[^>]*checked', page))
    assert checked == {"F240", "F241", "F242"}
    assert "Units entered in earlier series: F240 (January 2026)" in page
    assert "Make certification entry (cash-in)" in page and "Free, no late fee." in page


def test_unit_entries_are_set_through_the_page(world: World, at: Callable[[dt.datetime], None]) -> None:
    at(BEFORE_EXAM)
    prefix = world.second.candidate_id.lower()

    response = world.client.post(url("units", world), {f"{prefix}-units": ["F240", "F241", "F243"], "page": "1"})

    assert response.status_code == 302
    assert response["Location"].endswith(f"?page=1#{world.second.candidate_id}")
    assert set(UnitEntry.objects.filter(entry=world.second).values_list("unit__code", flat=True)) == {
        "F240",
        "F241",
        "F243",
    }
    assert AuditEvent.objects.filter(action="entry.units", actor=world.member.user).exists()


def test_unit_entries_are_refused_with_the_reason(world: World, at: Callable[[dt.datetime], None]) -> None:
    results_in(world)
    at(RESULTS_WEEK)
    prefix = world.second.candidate_id.lower()

    withdrawn = world.client.post(url("units", world), {f"{prefix}-units": ["F240", "F241"]})
    unknown = world.client.post(url("units", world), {f"{prefix}-units": ["F240", "F241", "F242", "X999"]})

    assert withdrawn.status_code == 400
    closed = UNIT_WITHDRAWAL_CLOSED.format(unit="F242", series="June 2026", date=date_format(dt.date(2026, 6, 9)))
    assert closed in text_of(withdrawn)
    assert unknown.status_code == 400 and "X999 is not one of the available choices" in text_of(unknown)
    assert UnitEntry.objects.filter(entry=world.second).count() == 3


def test_units_are_withdrawn_until_the_day_before_the_exam_whatever_their_results(
    world: World, at: Callable[[dt.datetime], None]
) -> None:
    other = student(world, ["F240", "F241", "F242"])

    unit_entries_set(entry=world.second, unit_codes=["F240", "F241"], actor=None, now=BEFORE_EXAM)
    with pytest.raises(ValidationError) as refused:
        unit_entries_set(entry=other, unit_codes=["F240", "F241"], actor=None, now=BEFORE_EXAM + dt.timedelta(hours=1))

    assert set(UnitEntry.objects.filter(entry=world.second).values_list("unit__code", flat=True)) == {"F240", "F241"}
    assert refused.value.messages == [
        UNIT_WITHDRAWAL_CLOSED.format(unit="F242", series="June 2026", date=date_format(dt.date(2026, 6, 9)))
    ]
    # Adding a unit stays open.
    unit_entries_set(entry=other, unit_codes=["F240", "F241", "F242", "F243"], actor=None, now=RESULTS_WEEK)
    assert UnitEntry.objects.filter(entry=other).count() == 4


def test_a_withdrawal_before_the_restricted_release_does_not_tell_whether_a_result_exists(
    world: World, at: Callable[[dt.datetime], None]
) -> None:
    at(BEFORE_RESULTS)  # after the exam, before the restricted release: results may be in, embargoed
    prefix = world.second.candidate_id.lower()

    def answers() -> tuple[int, bytes, bytes]:
        withdrawn = world.client.post(url("units", world), {f"{prefix}-units": ["F240", "F241"], "page": "1"})
        page = world.client.get(url("entries", world))
        return withdrawn.status_code, same_but_tokens(withdrawn.content), same_but_tokens(page.content)

    without_result = answers()
    results_in(world)  # F242 now has an embargoed result
    assert Result.objects.filter(entry=world.second, component_scores__component__code="F242").exists()
    with_result = answers()

    assert without_result == with_result
    assert without_result[0] == 400
    assert UnitEntry.objects.filter(entry=world.second).count() == 3


# --- Certification entries (cash-in) -------------------------------------------------------------------------
def test_cash_in_through_the_page_is_free_and_checks_the_entry_rules(
    world: World, at: Callable[[dt.datetime], None]
) -> None:
    at(BEFORE_RESULTS)
    short = student(world, ["F240", "F241"])

    refused = world.client.post(url("cash_in", world, short))
    made = world.client.post(url("cash_in", world), {"page": "1"}, follow=True)

    expected = CASH_IN_UNITS_MISSING.format(
        qualification=world.exam.name,
        mandatory="F240, F241",
        optional=1,
        choices="F242, F243",
        missing="1 optional unit(s)",
    )
    assert refused.status_code == 400 and expected in text_of(refused)
    assert not CertificationEntry.objects.filter(entry=short).exists()
    cash_in = CertificationEntry.objects.get(entry=world.second)
    assert cash_in.late is False and cash_in.requested_by == world.member.user
    page = text_of(made)
    assert f"Certification entry made for {world.second.candidate_id}. It is free: there is no late fee." in page
    assert "Certification entry made on" in page


def test_late_certification_until_the_closing_date_then_closed(
    world: World, at: Callable[[dt.datetime], None]
) -> None:
    other = student(world, ["F240", "F241", "F243"])
    at(dt.datetime(2026, 9, 24, 23, 0, tzinfo=UK))

    page = text_of(world.client.get(url("entries", world)))
    late = world.client.post(url("cash_in", world), follow=True)

    assert f"a certification entry made now is a late certification request, accepted until {CLOSING}" in page
    assert "Late certification request: free, no late fee." in page
    assert CertificationEntry.objects.get(entry=world.second).late is True
    assert "Late certification request made on" in text_of(late)

    at(dt.datetime(2026, 9, 25, 0, 0, tzinfo=UK))
    closed_page = text_of(world.client.get(url("entries", world)))
    refused = world.client.post(url("cash_in", world, other))

    assert f"Late certification requests for this series closed on {CLOSING}." in closed_page
    assert "Make certification entry (cash-in)" not in closed_page
    assert refused.status_code == 400
    assert CASH_IN_CLOSED.format(series="June 2026", date="24 September 2026") in text_of(refused)


def test_hint_for_unit_results_without_a_certification_entry(world: World, at: Callable[[dt.datetime], None]) -> None:
    results_in(world)
    waiting = student(world, ["F240"])  # entered, no result: no hint yet
    at(RESULTS_WEEK)
    hint = "there is no qualification grade without a certification entry"

    before = text_of(world.client.get(url("entries", world)))
    results_before = text_of(world.client.get(url("results", world)))
    certification_entry_create(entry=world.second, actor=None, now=RESULTS_WEEK)
    after = text_of(world.client.get(url("entries", world)))

    assert before.count("This student has unit results but will get no qualification grade") == 1
    assert hint in before
    assert waiting.candidate_id in before
    assert "Unit results only." in results_before
    assert "This student has unit results but will get no qualification grade" not in after


# --- Results -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("moment", "visible"), [(MIDNIGHT, False), (CENTRE_RELEASE, True)])
def test_results_pages_keep_the_embargo_until_00_01(
    world: World, at: Callable[[dt.datetime], None], moment: dt.datetime, visible: bool
) -> None:
    results_in(world)
    certification_entry_create(entry=world.second, actor=None, now=BEFORE_RESULTS)
    at(moment)

    page = text_of(world.client.get(url("results", world)))
    slip = world.client.get(url("slip", world))
    boundaries = text_of(world.client.get(url("boundaries", world)))

    assert ("45 / 60" in page) is visible
    assert ("Distinction" in page) is visible
    assert ("Q</abbr>" in page) is False
    assert ("not released yet" in page) is not visible
    assert slip.status_code == (200 if visible else 404)
    assert ("20 / 30 / 40" in boundaries) is visible


def test_results_show_units_ums_and_the_qualification_grade(world: World, at: Callable[[dt.datetime], None]) -> None:
    results_in(world)
    certification_entry_create(entry=world.second, actor=None, now=BEFORE_RESULTS)
    at(RESULTS_WEEK)

    page = text_of(world.client.get(url("results", world)))
    slip = text_of(world.client.get(url("slip", world)))

    for raw, ums, grade in [("45 / 60", "85 / 100", "distinction"), ("8 / 12", "80 / 100", "distinction")]:
        assert f"<td>{raw}</td><td>{ums}</td><td>{grade}</td>" in page
    assert "<td>30 / 60</td><td>60 / 100</td><td>merit</td>" in page
    result = Result.objects.get(entry=world.second)
    assert (result.grade, result.overall_score) == ("Distinction", 225)
    assert "Qualification grade</dt><dd>Distinction</dd>" in page and "225 / 300" in page
    assert '<td class="figure">85 / 100</td><td>distinction</td>' in slip
    assert '<td class="figure">225 / 300</td><td>Distinction</td>' in slip


def test_q_for_units_without_a_result_and_the_hold_reason(world: World, at: Callable[[dt.datetime], None]) -> None:
    results_in(world)
    missing = student(world, ["F240", "F241", "F243"], person__last_name="Baker")
    results_import(text=csv_rows([(missing, "F240", 30)]), now=BEFORE_RESULTS)
    certification_entry_create(entry=missing, actor=None, now=BEFORE_RESULTS)
    held = student(world, ["F240"], person__last_name="Clark")
    results_import(text=csv_rows([(held, "F240", 50)]), now=BEFORE_RESULTS)
    result_hold(result=Result.objects.get(entry=held), actor=None, reason="held")
    Result.objects.filter(entry=held).update(hold_reason=HOLD_REASON)
    at(RESULTS_WEEK)

    page = text_of(world.client.get(url("results", world)))

    baker = page.split(missing.candidate_id, 2)[2].split("</section>")[0]
    clark = page.split(held.candidate_id, 2)[2].split("</section>")[0]
    assert baker.count("Q</abbr> — pending or currently unavailable") == 2  # F241 and F243
    assert "incomplete: no result yet for F241" in baker
    assert f"Q</abbr> — pending: {HOLD_REASON}" in clark
    assert "50 / 60" not in clark


def test_pages_have_a_bounded_number_of_queries(world: World, at: Callable[[dt.datetime], None]) -> None:
    def count(path: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert world.client.get(path).status_code == 200
        # Sessions live in the shared Redis cache first: a cache cleared by another run costs one session read.
        return sum("django_session" not in query["sql"] for query in queries.captured_queries)

    results_in(world)
    certification_entry_create(entry=world.second, actor=None, now=BEFORE_RESULTS)
    at(RESULTS_WEEK)
    pages = ["entries", "results", "boundaries", "special"]
    few = {name: count(url(name, world)) for name in pages}
    for number in range(12):
        entry = student(world, ["F240", "F241", "F242"], person__last_name=f"Many{number}")
        results_import(text=csv_rows([(entry, "F240", 40 + number % 10)]), now=BEFORE_RESULTS)
        certification_entry_create(entry=entry, actor=None, now=RESULTS_WEEK)
    many = {name: count(url(name, world)) for name in pages}

    assert many == few
    assert max(many.values()) <= 16


# --- Missing and incomplete results (MIR) ----------------------------------------------------------------------
def test_mir_request_lifecycle(world: World, board_client: Client, at: Callable[[dt.datetime], None]) -> None:
    results_in(world)
    at(RESULTS_WEEK)

    form = text_of(world.client.get(url("mir_new", world)))
    empty = world.client.post(url("mir_new", world), {"unit": "F241", "description": " "})
    raised = world.client.post(
        url("mir_new", world), {"unit": "F241", "description": "F241 was moderated but shows no mark."}, follow=True
    )

    assert "This service is free of charge." in form and '<label for="id_description">' in form
    assert empty.status_code == 400
    mir = MissingResultRequest.objects.get()
    assert (mir.entry, mir.unit.code, mir.status, mir.created_by) == (world.second, "F241", "open", world.member.user)
    listing = text_of(raised)
    assert "request received" in listing and "free of charge" in listing
    assert "<td>Received</td>" in listing.replace("<td>Received<br>", "<td>Received</td>")

    change = f"/admin/centres/missingresultrequest/{mir.pk}/change/"
    investigating = board_client.post(change, {"status": "in_progress", "resolution": ""})
    refused = board_client.post(change, {"status": "resolved", "resolution": ""})
    mir.refresh_from_db()
    assert investigating.status_code == 302 and refused.status_code == 200
    assert MIR_RESOLUTION_REQUIRED in text_of(refused)
    assert (mir.status, mir.resolved_at) == ("in_progress", None)
    assert "Being investigated" in text_of(world.client.get(url("mir", world)))

    resolved = board_client.post(change, {"status": "resolved", "resolution": "Mark entered: F241 raw 8."})
    mir.refresh_from_db()
    assert resolved.status_code == 302 and mir.resolved_at is not None
    listing = text_of(world.client.get(url("mir", world)))
    assert "Resolved" in listing and "Mark entered: F241 raw 8." in listing
    events = AuditEvent.objects.filter(action__startswith="mir.").order_by("pk")
    assert [e.action for e in events] == ["mir.create", "mir.update", "mir.update"]
    assert events[2].detail["after"]["status"] == "resolved"
    assert board_client.get("/admin/centres/missingresultrequest/add/").status_code == 403

    other, _member = staff_client()
    assert "F241 was moderated" not in text_of(other.get(url("mir", world)))
