import csv
import datetime as dt
import io
import re
from collections.abc import Callable

import pytest
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from centres.imports import (
    ENTRY_COLUMNS,
    ENTRY_OPTIONAL_COLUMNS,
    ISSUED_COLUMNS,
    ImportRejected,
    IssuedEntry,
    RowError,
    centres_import,
    entries_import,
    issued_csv,
)
from centres.models import Candidate, Centre, Entry
from centres.services import secret_number_matches
from centres.tests.factories import (
    CandidateFactory,
    CentreFactory,
    EntryFactory,
    ExamSessionFactory,
    csv_text,
    entry_row,
)
from exams.models import Exam, ExamSession
from exams.selectors import session_results_by

pytestmark = pytest.mark.django_db

SESSION_DATE = dt.date(2027, 6, 12)
GENERATED_ID = re.compile(r"[A-HJ-NP-Z]{3}[2-9]{6}")


@pytest.fixture
def centre() -> Centre:
    return CentreFactory.create(number="GB900", name="Colegio Británico")


@pytest.fixture
def session() -> ExamSession:
    return ExamSessionFactory.create(exam=Exam.objects.get(code="FCE"), date=SESSION_DATE, mode=ExamSession.Mode.PAPER)


def entries_text(*rows: dict[str, str]) -> str:
    return csv_text(list(rows), columns=list(ENTRY_COLUMNS))


def counts() -> tuple[int, int, int]:
    return Centre.objects.count(), Candidate.objects.count(), Entry.objects.count()


def rejected(call: Callable[[], object]) -> list[str]:
    """Run an import that must be rejected; return its problems and check that nothing was written."""
    before = counts()
    with pytest.raises(ImportRejected) as exc_info:
        call()
    assert counts() == before
    return [str(error) for error in exc_info.value.errors]


def entries_rejected(*rows: dict[str, str], only_centre: Centre | None = None) -> list[str]:
    return rejected(lambda: entries_import(text=entries_text(*rows), only_centre=only_centre))


# --- Happy paths ----------------------------------------------------------------------------------------


def test_entries_import_generates_candidate_ids_and_secret_numbers(centre: Centre, session: ExamSession) -> None:
    rows = [entry_row(first_name="Ana", last_name="López"), entry_row(first_name="Wei", last_name="Chen")]

    issued = entries_import(text=entries_text(*rows))

    assert [(i.first_name, i.last_name) for i in issued] == [("Ana", "López"), ("Wei", "Chen")]
    assert Candidate.objects.count() == 2
    for item in issued:
        entry = Entry.objects.select_related("person", "session", "centre").get(candidate_id=item.candidate_id)
        assert GENERATED_ID.fullmatch(item.candidate_id)
        assert re.fullmatch(r"[0-9]{4}", item.secret_number)
        assert item.secret_number not in entry.secret_hash
        assert secret_number_matches(secret_number=item.secret_number, secret_hash=entry.secret_hash)
        assert entry.session == session
        assert entry.centre == centre
        assert entry.person.full_name == f"{item.first_name} {item.last_name}"
        assert entry.status == Entry.Status.ENTERED
        assert item == IssuedEntry(
            candidate_id=entry.candidate_id,
            secret_number=item.secret_number,
            first_name=entry.person.first_name,
            last_name=entry.person.last_name,
            exam_code="FCE",
            session_date=SESSION_DATE,
            mode="paper",
            centre_number="GB900",
            results_by=session_results_by(session=session),
            exam_name="B2 First",
            mode_label="Paper-based",
            centre_name="Colegio Británico",
            public_id=entry.public_id,
        )
    assert Candidate.objects.get(first_name="Ana").email == rows[0]["email"]


def test_entries_import_upper_cases_and_keeps_given_candidate_ids(centre: Centre, session: ExamSession) -> None:
    issued = entries_import(text=entries_text(entry_row(candidate_id=" sir094701 "), entry_row()))

    assert issued[0].candidate_id == "SIR094701"
    assert GENERATED_ID.fullmatch(issued[1].candidate_id)
    assert Entry.objects.filter(candidate_id="SIR094701").exists()


def test_entries_import_reuses_an_existing_candidate(centre: Centre, session: ExamSession) -> None:
    person = CandidateFactory.create(
        centre=centre, first_name="ANA", last_name="lópez", date_of_birth=dt.date(2008, 3, 14)
    )
    EntryFactory.create(
        person=person, session=ExamSessionFactory.create(exam=Exam.objects.get(code="CAE"), date=SESSION_DATE)
    )

    issued = entries_import(text=entries_text(entry_row(first_name="Ana", last_name="López")))

    assert Candidate.objects.count() == 1
    assert Entry.objects.get(candidate_id=issued[0].candidate_id).person == person
    assert (issued[0].first_name, issued[0].last_name) == ("ANA", "lópez")


def test_entries_import_makes_one_candidate_for_one_person_on_several_lines(
    centre: Centre, session: ExamSession
) -> None:
    ExamSessionFactory.create(exam=Exam.objects.get(code="CPE"), date=SESSION_DATE)
    rows = [
        entry_row(first_name="Ana", last_name="López"),
        entry_row(first_name="ana", last_name="LÓPEZ", exam_code="CPE"),
    ]

    issued = entries_import(text=entries_text(*rows))

    assert Candidate.objects.count() == 1
    assert {e.person_id for e in Entry.objects.all()} == {Candidate.objects.get().pk}
    assert len({i.candidate_id for i in issued}) == 2


def test_entries_import_does_not_match_another_centres_candidate(centre: Centre, session: ExamSession) -> None:
    CandidateFactory.create(
        centre=CentreFactory.create(number="GB901"),
        first_name="Ana",
        last_name="López",
        date_of_birth=dt.date(2008, 3, 14),
    )

    entries_import(text=entries_text(entry_row(first_name="Ana", last_name="López")))

    assert Candidate.objects.filter(centre=centre).count() == 1


def test_generated_candidate_ids_are_retried_on_collision(
    centre: Centre, session: ExamSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    EntryFactory.create(candidate_id="ABC222222")
    proposals = iter(["ABC222222", "ABC333333", "ABC333333", "GIV444444", "ABC555555"])
    monkeypatch.setattr("centres.imports.candidate_id_generate", lambda: next(proposals))

    issued = entries_import(text=entries_text(entry_row(), entry_row(candidate_id="GIV444444"), entry_row()))

    assert [i.candidate_id for i in issued] == ["ABC333333", "GIV444444", "ABC555555"]


def test_entries_import_accepts_excel_files_with_bom_and_spaces(centre: Centre, session: ExamSession) -> None:
    header = " Centre_Number , candidate_id,first_name,last_name,date_of_birth,email,exam_code,session_date, MODE "
    text = f"\ufeff{header}\r\n gb900 ,, Ana , López ,2008-03-14, ana@example.org ,fce,2027-06-12, Paper ,,\r\n\r\n"

    issued = entries_import(text=text)

    assert (issued[0].first_name, issued[0].exam_code, issued[0].mode) == ("Ana", "FCE", "paper")
    assert Candidate.objects.get().email == "ana@example.org"


def test_entries_import_reports_progress_while_checking_and_writing(centre: Centre, session: ExamSession) -> None:
    calls: list[tuple[int, int]] = []

    entries_import(text=entries_text(*[entry_row() for _ in range(1200)]), progress=lambda *a: calls.append(a))

    assert calls[-1] == (2400, 2400)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    assert {total for _, total in calls} == {2400}
    assert 4 <= len(calls) <= 12


def test_only_centre_accepts_its_own_rows(centre: Centre, session: ExamSession) -> None:
    issued = entries_import(text=entries_text(entry_row(centre_number="gb900")), only_centre=centre)

    assert issued[0].centre_number == "GB900"


def test_a_withdrawn_entry_does_not_count_for_the_monthly_rule(centre: Centre, session: ExamSession) -> None:
    person = CandidateFactory.create(centre=centre, first_name="Ana", date_of_birth=dt.date(2008, 3, 14))
    other = ExamSessionFactory.create(exam=Exam.objects.get(code="FCE"), date=dt.date(2027, 6, 26))
    EntryFactory.create(person=person, session=other, status=Entry.Status.WITHDRAWN)

    issued = entries_import(text=entries_text(entry_row(first_name="Ana")))

    assert Entry.objects.get(candidate_id=issued[0].candidate_id).person == person


def test_the_same_exam_in_another_month_is_accepted(centre: Centre, session: ExamSession) -> None:
    ExamSessionFactory.create(exam=Exam.objects.get(code="FCE"), date=dt.date(2027, 7, 1))
    rows = [entry_row(first_name="Ana"), entry_row(first_name="Ana", session_date="2027-07-01")]

    assert len(entries_import(text=entries_text(*rows))) == 2


def test_issued_csv_has_the_contract_columns(centre: Centre, session: ExamSession) -> None:
    issued = entries_import(text=entries_text(entry_row(first_name="Ana", candidate_id="SIR094701")))

    text = issued_csv(issued)
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))

    assert text.startswith("\ufeffcandidate_id,secret_number,")
    assert list(rows[0]) == list(ISSUED_COLUMNS)
    assert rows == [
        {
            "candidate_id": "SIR094701",
            "secret_number": issued[0].secret_number,
            "first_name": "Ana",
            "last_name": "López",
            "exam_code": "FCE",
            "session_date": "2027-06-12",
            "mode": "paper",
            "centre_number": "GB900",
            "results_by": session_results_by(session=session).isoformat(),
        }
    ]


# --- Bad files: every problem is reported, nothing is written -----------------------------------------


def test_row_error_reads_like_a_spreadsheet_reference() -> None:
    assert str(RowError(line=3, column="mode", message="bad")) == "line 3, column mode: bad"
    assert str(RowError(line=1, column="", message="the file is empty")) == "line 1: the file is empty"


def test_header_with_missing_unknown_and_repeated_columns(centre: Centre, session: ExamSession) -> None:
    columns = [c for c in ENTRY_COLUMNS if c not in {"email", "mode"}] + ["centre", "exam_code"]

    problems = rejected(lambda: entries_import(text=csv_text([entry_row()], columns=columns)))

    expected_columns = ", ".join([*ENTRY_COLUMNS, *ENTRY_OPTIONAL_COLUMNS])
    assert problems == [
        f"line 1, column centre: unknown column (the columns are {expected_columns})",
        "line 1, column exam_code: this column appears more than once in the header",
        "line 1, column email: this column is missing from the header",
        "line 1, column mode: this column is missing from the header",
    ]


def test_empty_file_and_file_without_rows(centre: Centre) -> None:
    assert rejected(lambda: entries_import(text="")) == ["line 1: the file is empty"]
    assert rejected(lambda: entries_import(text="\ufeff\r\n")) == ["line 1: the file is empty"]
    header_only = ",".join(ENTRY_COLUMNS) + "\n"
    assert rejected(lambda: entries_import(text=header_only)) == ["line 2: the file has no rows below the header"]


def test_line_with_the_wrong_number_of_values(centre: Centre, session: ExamSession) -> None:
    text = entries_text(entry_row()) + "GB900,,Ana,López,2008-03-14\n"

    assert rejected(lambda: entries_import(text=text)) == [
        "line 3: the line has 5 values but the header has 9 columns"
    ]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"centre_number": "GB999"}, "line 2, column centre_number: unknown centre GB999"),
        ({"centre_number": ""}, "line 2, column centre_number: this value must not be empty"),
        ({"exam_code": "XYZ"}, "line 2, column exam_code: unknown exam XYZ"),
        ({"exam_code": ""}, "line 2, column exam_code: this value must not be empty"),
        ({"first_name": ""}, "line 2, column first_name: this value must not be empty"),
        ({"last_name": "  "}, "line 2, column last_name: this value must not be empty"),
        ({"last_name": "L" * 101}, "line 2, column last_name: this value is longer than 100 characters"),
        ({"date_of_birth": ""}, "line 2, column date_of_birth: this value must not be empty"),
        (
            {"date_of_birth": "14/03/2008"},
            "line 2, column date_of_birth: '14/03/2008' is not a date in the form YYYY-MM-DD",
        ),
        ({"date_of_birth": "2008-02-30"}, "line 2, column date_of_birth: 2008-02-30 is not a real date"),
        (
            {"session_date": "2027-6-12"},
            "line 2, column session_date: '2027-6-12' is not a date in the form YYYY-MM-DD",
        ),
        ({"session_date": "20270612"}, "line 2, column session_date: '20270612' is not a date in the form YYYY-MM-DD"),
        ({"session_date": "2027-13-01"}, "line 2, column session_date: 2027-13-01 is not a real date"),
        ({"email": "ana.example.org"}, "line 2, column email: 'ana.example.org' is not a valid email address"),
        ({"mode": "online"}, "line 2, column mode: 'online' is not a mode: use paper, computer, digital"),
        ({"mode": ""}, "line 2, column mode: this value must not be empty"),
        *[
            (
                {"candidate_id": value},
                f"line 2, column candidate_id: '{value}' is not a Candidate ID: nine letters and digits, letters "
                "first (e.g. SIR094701)",
            )
            for value in ("094701SIR", "AB12", "SIR09470", "SIR0947011", "ABCDEFGH123456789", "SIR09470O")
        ],
        ({"session_date": "2027-06-13"}, "line 2, column session_date: no B2 First paper-based session on 2027-06-13"),
        ({"mode": "computer"}, "line 2, column session_date: no B2 First computer-based session on 2027-06-12"),
    ],
)
def test_bad_value_is_reported_with_line_and_column(
    centre: Centre, session: ExamSession, overrides: dict[str, str], expected: str
) -> None:
    assert entries_rejected(entry_row(**overrides)) == [expected]


def test_date_of_birth_in_the_future(centre: Centre, session: ExamSession) -> None:
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()

    assert entries_rejected(entry_row(date_of_birth=tomorrow)) == [
        f"line 2, column date_of_birth: the date of birth {tomorrow} is in the future"
    ]


def test_candidate_id_already_in_use(centre: Centre, session: ExamSession) -> None:
    EntryFactory.create(candidate_id="SIR094701")

    assert entries_rejected(entry_row(), entry_row(candidate_id="sir094701")) == [
        "line 3, column candidate_id: Candidate ID SIR094701 is already in use"
    ]


def test_candidate_id_given_twice_in_the_file(centre: Centre, session: ExamSession) -> None:
    rows = [entry_row(candidate_id="SIR094701"), entry_row(candidate_id="SIR094701")]

    assert entries_rejected(*rows) == ["line 3, column candidate_id: Candidate ID SIR094701 is also on line 2"]


def test_duplicate_row(centre: Centre, session: ExamSession) -> None:
    row = entry_row(first_name="Ana")

    assert entries_rejected(row, entry_row(), {**row, "first_name": "ANA"}) == [
        "line 4, column exam_code: duplicate row: ANA López is entered for this session on line 2 too"
    ]


def test_candidate_already_entered_for_the_session(centre: Centre, session: ExamSession) -> None:
    person = CandidateFactory.create(centre=centre, first_name="Ana", date_of_birth=dt.date(2008, 3, 14))
    EntryFactory.create(person=person, session=session, candidate_id="OLD234567")

    assert entries_rejected(entry_row(first_name="ana")) == [
        "line 2, column exam_code: ana López is already entered for this session (Candidate ID OLD234567)"
    ]


def test_same_exam_twice_in_a_month_within_the_file(centre: Centre, session: ExamSession) -> None:
    ExamSessionFactory.create(
        exam=Exam.objects.get(code="FCE"), date=dt.date(2027, 6, 30), mode=ExamSession.Mode.COMPUTER
    )
    rows = [
        entry_row(first_name="Ana"),
        entry_row(first_name="Ana", session_date="2027-06-30", mode="computer"),
    ]

    assert entries_rejected(*rows) == [
        "line 3, column session_date: Ana López is entered for B2 First in June 2027 on line 2 too: the same exam "
        "cannot be taken twice in one calendar month"
    ]


def test_for_schools_variant_counts_as_the_same_exam_within_the_file(centre: Centre, session: ExamSession) -> None:
    ExamSessionFactory.create(exam=Exam.objects.get(code="FCES"), date=dt.date(2027, 6, 1))
    rows = [
        entry_row(first_name="Ana"),
        entry_row(first_name="Ana", exam_code="FCES", session_date="2027-06-01"),
    ]

    assert entries_rejected(*rows) == [
        "line 3, column session_date: Ana López is entered for B2 First for Schools in June 2027 on line 2 too: "
        "the same exam cannot be taken twice in one calendar month"
    ]


def test_same_exam_twice_in_a_month_against_the_database(centre: Centre, session: ExamSession) -> None:
    person = CandidateFactory.create(centre=centre, first_name="Ana", date_of_birth=dt.date(2008, 3, 14))
    earlier = ExamSessionFactory.create(exam=Exam.objects.get(code="FCE"), date=dt.date(2027, 6, 2))
    EntryFactory.create(person=person, session=earlier, candidate_id="OLD234567")

    assert entries_rejected(entry_row(first_name="Ana")) == [
        "line 2, column session_date: Ana López is already entered for B2 First on 2027-06-02 (Candidate ID "
        "OLD234567): the same exam cannot be taken twice in one calendar month"
    ]


def test_for_schools_variant_counts_as_the_same_exam_against_the_database(
    centre: Centre, session: ExamSession
) -> None:
    person = CandidateFactory.create(centre=centre, first_name="Ana", date_of_birth=dt.date(2008, 3, 14))
    schools = ExamSessionFactory.create(exam=Exam.objects.get(code="FCES"), date=dt.date(2027, 6, 20))
    EntryFactory.create(person=person, session=schools, candidate_id="OLD234567")

    assert entries_rejected(entry_row(first_name="Ana")) == [
        "line 2, column session_date: Ana López is already entered for B2 First for Schools on 2027-06-20 "
        "(Candidate ID OLD234567): the same exam cannot be taken twice in one calendar month"
    ]


def test_only_centre_rejects_rows_for_other_centres(centre: Centre, session: ExamSession) -> None:
    CentreFactory.create(number="GB901")

    assert entries_rejected(
        entry_row(),
        entry_row(centre_number="GB901"),
        entry_row(centre_number="XX1"),
        only_centre=centre,
    ) == [
        "line 3, column centre_number: centre GB901 is not your centre",
        "line 4, column centre_number: centre XX1 is not your centre",
    ]


@pytest.mark.parametrize("given", ["SIR094701", "OWN234567", "NEW234567", "sir094701", "not an id"])
def test_only_centre_refuses_any_given_candidate_id_with_one_answer(
    centre: Centre, session: ExamSession, given: str
) -> None:
    EntryFactory.create(candidate_id="SIR094701")  # another centre's
    EntryFactory.create(candidate_id="OWN234567", person__centre=centre)

    assert entries_rejected(entry_row(), entry_row(candidate_id=given), only_centre=centre) == [
        "line 3, column candidate_id: leave the Candidate ID empty: the portal issues a new one for every entry"
    ]


def test_every_bad_line_is_reported_in_line_order(centre: Centre, session: ExamSession) -> None:
    EntryFactory.create(candidate_id="SIR094701")
    rows = [
        entry_row(),
        entry_row(centre_number="GB999", mode="bus"),
        entry_row(),
        entry_row(candidate_id="SIR094701"),
        entry_row(first_name="", date_of_birth="2008-02-31", email="nope"),
        entry_row(exam_code="KET"),
    ]

    problems = entries_rejected(*rows)

    assert problems == [
        "line 3, column centre_number: unknown centre GB999",
        "line 3, column mode: 'bus' is not a mode: use paper, computer, digital",
        "line 5, column candidate_id: Candidate ID SIR094701 is already in use",
        "line 6, column first_name: this value must not be empty",
        "line 6, column date_of_birth: 2008-02-31 is not a real date",
        "line 6, column email: 'nope' is not a valid email address",
        "line 7, column session_date: no A2 Key paper-based session on 2027-06-12",
    ]


def test_blank_lines_are_skipped_but_counted(centre: Centre, session: ExamSession) -> None:
    text = entries_text(entry_row()) + "\n,,,,,,,,\n" + entries_text(entry_row(mode="x")).split("\n", 1)[1]

    assert rejected(lambda: entries_import(text=text)) == [
        "line 5, column mode: 'x' is not a mode: use paper, computer, digital"
    ]


def test_error_lines_count_records_not_physical_lines(centre: Centre, session: ExamSession) -> None:
    text = entries_text(entry_row(last_name="López\nGarcía"), entry_row(mode="x"))

    assert rejected(lambda: entries_import(text=text)) == [
        "line 3, column mode: 'x' is not a mode: use paper, computer, digital"
    ]


# --- Query counts -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [10, 200])
def test_entries_import_queries_do_not_grow_with_rows(
    centre: Centre, session: ExamSession, size: int, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    people = CandidateFactory.create_batch(size // 2, centre=centre, date_of_birth=dt.date(2008, 3, 14))
    cae = ExamSessionFactory.create(exam=Exam.objects.get(code="CAE"), date=SESSION_DATE)
    for person in people:
        EntryFactory.create(person=person, session=cae)
    rows = [entry_row(first_name=p.first_name, last_name=p.last_name) for p in people]
    rows += [entry_row(candidate_id=f"GIV{n:06d}") for n in range(size - len(rows))]

    with django_assert_max_num_queries(12):
        issued = entries_import(text=entries_text(*rows))

    assert len(issued) == size
    assert Candidate.objects.count() == size


@pytest.mark.parametrize("size", [10, 200])
def test_centres_import_queries_do_not_grow_with_rows(
    size: int, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    for n in range(size // 2):
        CentreFactory.create(number=f"GIV{n:06d}")
    rows = [
        {"centre_number": f"GIV{n:06d}", "name": f"Centre {n}", "country": "Spain", "email": ""} for n in range(size)
    ]

    with django_assert_max_num_queries(5):
        assert centres_import(text=csv_text(rows)) == size


# --- Centres ------------------------------------------------------------------------------------------------


def test_centres_import_creates_and_updates() -> None:
    CentreFactory.create(number="GB123", name="Old name", country="United Kingdom", email="old@example.org")
    rows = [
        {"centre_number": "gb123", "name": "New name", "country": "", "email": "exams@new.example"},
        {"centre_number": "ES456", "name": "Colegio", "country": "Spain", "email": ""},
    ]

    assert centres_import(text=csv_text(rows)) == 2

    assert list(Centre.objects.values_list("number", "name", "country", "email")) == [
        ("ES456", "Colegio", "Spain", ""),
        ("GB123", "New name", "", "exams@new.example"),
    ]


def test_centres_import_reports_every_bad_line() -> None:
    CentreFactory.create(number="GB123", name="Kept")
    rows = [
        {"centre_number": "GB123", "name": "Changed", "country": "", "email": ""},
        {"centre_number": "GB 1", "name": "", "country": "", "email": "x@"},
        {"centre_number": "gb123", "name": "Again", "country": "", "email": ""},
        {"centre_number": "", "name": "No number", "country": "C" * 101, "email": ""},
    ]

    assert rejected(lambda: centres_import(text=csv_text(rows))) == [
        "line 3, column centre_number: 'GB 1' is not a centre number (letters and digits, at most 12)",
        "line 3, column name: this value must not be empty",
        "line 3, column email: 'x@' is not a valid email address",
        "line 4, column centre_number: centre GB123 is also on line 2",
        "line 5, column centre_number: this value must not be empty",
        "line 5, column country: this value is longer than 100 characters",
    ]
    assert Centre.objects.get(number="GB123").name == "Kept"


def test_centres_import_checks_the_header() -> None:
    text = "centre_number,name,email,region\nGB1,A,,\n"

    assert rejected(lambda: centres_import(text=text)) == [
        "line 1, column region: unknown column (the columns are centre_number, name, country, email)",
        "line 1, column country: this column is missing from the header",
    ]


# --- Unitised qualifications: centre numbers, candidate numbers and UCIs (docs/domain.md §1.7) -------------------
UNITISED_COLUMNS = [*ENTRY_COLUMNS, *ENTRY_OPTIONAL_COLUMNS]


@pytest.fixture
def series() -> ExamSession:
    from results.tests.factories import unitised_qualification, unitised_series

    return unitised_series(unitised_qualification(), month=6)


def unitised_row(series: ExamSession, **overrides: str) -> dict[str, str]:
    values = {
        "centre_number": "61234",
        "exam_code": series.exam.code,
        "session_date": series.date.isoformat(),
        "mode": "paper",
        "candidate_number": "0042",
        "uci": "612340260042K",
    }
    return entry_row(**{**values, **overrides})


def test_a_unitised_entry_keeps_its_candidate_number_and_uci(series: ExamSession) -> None:
    CentreFactory.create(number="61234")

    entries_import(text=csv_text([unitised_row(series)], columns=UNITISED_COLUMNS))

    entry = Entry.objects.get()
    assert (entry.candidate_number, entry.person.uci) == ("0042", "612340260042K")


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"centre_number": "GB900"},
            "line 2, column centre_number: centre GB900 cannot enter Advanced National in Business: centres enter "
            "unitised qualifications with a 5-digit centre number",
        ),
        ({"candidate_number": "42"}, "line 2, column candidate_number: '42' is not a candidate number"),
        ({"candidate_number": "0000"}, "line 2, column candidate_number: '0000' is not a candidate number"),
        ({"candidate_number": "12345"}, "line 2, column candidate_number: '12345' is not a candidate number"),
        ({"uci": "61234026004K"}, "line 2, column uci: '61234026004K' is not a UCI: 13 characters"),
        ({"uci": "6123402600421"}, "line 2, column uci: '6123402600421' is not a UCI"),
    ],
)
def test_unitised_identifiers_are_checked(
    centre: Centre, series: ExamSession, overrides: dict[str, str], expected: str
) -> None:
    CentreFactory.create(number="61234")

    problems = rejected(
        lambda: entries_import(text=csv_text([unitised_row(series, **overrides)], columns=UNITISED_COLUMNS))
    )

    assert any(problem.startswith(expected) for problem in problems), problems


def test_a_scale_score_exam_takes_no_candidate_number(centre: Centre, session: ExamSession) -> None:
    row = entry_row(session_date=SESSION_DATE.isoformat(), candidate_number="0042", uci="")

    problems = rejected(lambda: entries_import(text=csv_text([row], columns=UNITISED_COLUMNS)))

    assert problems == [
        "line 2, column candidate_number: B2 First is not a unitised qualification: leave the candidate number and "
        "UCI empty"
    ]
