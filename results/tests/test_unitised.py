"""Unitised qualifications: raw → UMS, best unit across series, cash-in, restricted release embargo."""

import datetime as dt
from typing import Any
from unittest import mock

import pytest
from django.core.exceptions import ValidationError

from centres.models import CertificationEntry
from centres.services import certification_entry_create, unit_entries_set
from centres.tests.factories import EntryFactory
from results.imports import RESULT_COLUMNS, ImportRejected, results_import
from results.models import ComponentScore, Result
from results.selectors import Audience, results_visible
from results.tests.factories import UK, account_for, unitised_qualification, unitised_series

pytestmark = pytest.mark.django_db

BEFORE_RESULTS = dt.datetime(2026, 8, 1, 9, 0, tzinfo=UK)


@pytest.fixture
def setup() -> dict[str, Any]:
    exam = unitised_qualification()
    january, june = unitised_series(exam, month=1), unitised_series(exam, month=6)
    first = EntryFactory(session=january)
    second = EntryFactory(session=june, person=first.person, centre=first.centre)
    unit_entries_set(entry=first, unit_codes=["F240"], actor=None)
    unit_entries_set(entry=second, unit_codes=["F240", "F241", "F242"], actor=None)
    return {"exam": exam, "january": january, "june": june, "first": first, "second": second}


def _csv(rows: list[tuple[Any, str, int]], extra: str = "") -> str:
    header = ",".join(RESULT_COLUMNS) + (f",{extra}" if extra else "")
    lines = [header] + [
        f"{entry.candidate_id},{entry.session.exam.code},{entry.session.date},{unit},{raw}"
        for entry, unit, raw in rows
    ]
    return "\n".join(lines) + "\n"


def _scores(entry: Any) -> dict[str, tuple[int, int | None, str]]:
    return {
        s.component.code: (s.score, s.ums, s.unit_grade) for s in ComponentScore.objects.filter(result__entry=entry)
    }


def test_raw_marks_become_ums_and_unit_grades(setup: dict[str, Any]) -> None:
    june = setup["second"]

    results_import(text=_csv([(june, "F240", 45), (june, "F241", 8), (june, "F242", 19)]), now=BEFORE_RESULTS)

    assert _scores(june) == {"F240": (45, 85, "distinction"), "F241": (8, 80, "distinction"), "F242": (19, 38, "U")}


def test_a_unit_with_a_ums_cap_gives_full_ums_from_the_cap(setup: dict[str, Any]) -> None:
    # F240: 60 raw marks, series boundaries merit 30, distinction 40 (UMS 60, 80). A2 rule: cap 40 + (40 − 30) = 50.
    setup["exam"].components.filter(code="F240").update(ums_cap_rule="a2")
    january, june = setup["first"], setup["second"]

    results_import(text=_csv([(june, "F240", 45), (january, "F240", 52)]), now=BEFORE_RESULTS)

    assert _scores(june)["F240"] == (45, 90, "distinction")  # 80 + 20 × 5 / 10; without the cap 85
    assert _scores(january)["F240"] == (52, 100, "distinction")


def test_no_cash_in_gives_unit_results_only(setup: dict[str, Any]) -> None:
    june = setup["second"]

    results_import(text=_csv([(june, "F240", 45), (june, "F241", 8), (june, "F242", 30)]), now=BEFORE_RESULTS)

    result = Result.objects.get(entry=june)
    assert (result.grade, result.overall_score, result.qualification) == ("", None, None)


def test_cash_in_uses_the_best_result_of_each_unit_across_series(setup: dict[str, Any]) -> None:
    first, second = setup["first"], setup["second"]
    results_import(text=_csv([(first, "F240", 20)]), now=dt.datetime(2026, 2, 1, tzinfo=UK))
    results_import(text=_csv([(second, "F240", 45), (second, "F241", 8), (second, "F242", 30)]), now=BEFORE_RESULTS)

    certification_entry_create(entry=second, actor=None, now=BEFORE_RESULTS)

    result = Result.objects.get(entry=second)
    assert (result.grade, result.overall_score) == ("Distinction", 85 + 80 + 60)
    june = str(second.session.public_id)
    assert result.qualification["counted"]["F240"] == {"series": "June 2026", "series_id": june, "ums": 85}
    assert result.certificate is True


def test_a_resit_lower_than_the_first_try_does_not_count(setup: dict[str, Any]) -> None:
    first, second = setup["first"], setup["second"]
    results_import(text=_csv([(first, "F240", 60)]), now=dt.datetime(2026, 2, 1, tzinfo=UK))
    certification_entry_create(entry=second, actor=None, now=BEFORE_RESULTS)

    results_import(text=_csv([(second, "F240", 20), (second, "F241", 6), (second, "F242", 30)]), now=BEFORE_RESULTS)

    result = Result.objects.get(entry=second)
    january = str(first.session.public_id)
    assert result.qualification["counted"]["F240"] == {"series": "January 2026", "series_id": january, "ums": 100}
    assert (result.grade, result.overall_score) == ("Distinction", 100 + 60 + 60)


def test_cash_in_needs_the_entry_rules(setup: dict[str, Any]) -> None:
    lonely = EntryFactory(session=setup["june"])
    unit_entries_set(entry=lonely, unit_codes=["F240", "F241"], actor=None)

    with pytest.raises(ValidationError, match="Missing: 1 optional unit"):
        certification_entry_create(entry=lonely, actor=None, now=BEFORE_RESULTS)
    assert not CertificationEntry.objects.filter(entry=lonely).exists()


def test_late_certification_until_the_closing_date_only(setup: dict[str, Any]) -> None:
    second = setup["second"]
    other = EntryFactory(session=setup["june"])
    unit_entries_set(entry=other, unit_codes=["F240", "F241", "F243"], actor=None)

    late = certification_entry_create(entry=second, actor=None, now=dt.datetime(2026, 9, 24, 23, 0, tzinfo=UK))
    assert late.late is True
    with pytest.raises(ValidationError, match="closed on 24 September 2026"):
        certification_entry_create(entry=other, actor=None, now=dt.datetime(2026, 9, 25, 0, 0, tzinfo=UK))


@pytest.mark.parametrize(
    ("moment", "centre", "candidate"),
    [
        (dt.datetime(2026, 8, 12, 0, 0, 59, tzinfo=UK), False, False),
        (dt.datetime(2026, 8, 12, 0, 1, tzinfo=UK), True, False),
        (dt.datetime(2026, 8, 13, 7, 59, 59, tzinfo=UK), True, False),
        (dt.datetime(2026, 8, 13, 8, 0, tzinfo=UK), True, True),
    ],
)
def test_restricted_release_to_centres_then_candidates(
    setup: dict[str, Any], moment: dt.datetime, centre: bool, candidate: bool
) -> None:
    second = setup["second"]
    account = account_for(second)
    results_import(text=_csv([(second, "F240", 45)]), now=BEFORE_RESULTS)

    assert results_visible(audience=Audience.centre(second.centre, restricted=True), now=moment).exists() is centre
    # Staff other than the exams officer and head of centre see results with the candidates.
    staff_audience = Audience.centre(second.centre, restricted=False)
    assert results_visible(audience=staff_audience, now=moment).exists() is candidate
    assert results_visible(audience=Audience.candidate(account.pk), now=moment).exists() is candidate
    assert results_visible(audience=Audience.entries([second]), now=moment).exists() is candidate


def test_unit_rows_are_checked(setup: dict[str, Any]) -> None:
    second = setup["second"]
    no_boundaries = unitised_series(setup["exam"], year=2027, boundaries=False)
    later = EntryFactory(session=no_boundaries, person=second.person, centre=second.centre)
    unit_entries_set(entry=later, unit_codes=["F240"], actor=None)
    text = _csv([(second, "F243", 30), (second, "F240", 61), (later, "F240", 30), (second, "XX1", 3)])

    with pytest.raises(ImportRejected) as rejected:
        results_import(text=text, now=BEFORE_RESULTS)

    messages = [str(e) for e in rejected.value.errors]
    assert (
        f"line 2, column component: Candidate ID {second.candidate_id} is not entered for unit F243 in this series"
        in messages
    )
    assert "line 3, column score: raw mark 61 is out of range for unit F240 (0–60)" in messages
    assert "line 4, column component: no grade boundaries are set for unit F240 in the June 2027 series" in messages
    assert any(m.startswith("line 5, column component: 'XX1' is not a component") for m in messages)
    assert not Result.objects.exists()


def test_special_consideration_is_recorded(setup: dict[str, Any]) -> None:
    second = setup["second"]
    text = _csv([(second, "F240", 30)], extra="consideration_tariff,consideration_marks,absent").replace(
        ",F240,30\n", ",F240,30,2.5,1,no\n"
    )

    results_import(text=text, now=BEFORE_RESULTS)

    score = ComponentScore.objects.get(result__entry=second)
    assert (str(score.consideration_tariff), score.consideration_marks, score.calculated_for_absence) == (
        "2.5",
        1,
        False,
    )


def test_a_unit_file_leaves_other_units_alone(setup: dict[str, Any]) -> None:
    second = setup["second"]
    results_import(text=_csv([(second, "F240", 45), (second, "F241", 8)]), now=BEFORE_RESULTS)

    results_import(text=_csv([(second, "F241", 6)]), now=BEFORE_RESULTS)

    assert _scores(second) == {"F240": (45, 85, "distinction"), "F241": (6, 60, "merit")}


def test_the_candidate_statement_is_the_results_slip(setup: dict[str, Any], client: Any) -> None:
    second = setup["second"]
    account = account_for(second)
    results_import(text=_csv([(second, "F240", 45), (second, "F241", 8), (second, "F242", 30)]), now=BEFORE_RESULTS)
    certification_entry_create(entry=second, actor=None, now=BEFORE_RESULTS)
    client.force_login(account.user)

    with mock.patch("django.utils.timezone.now", return_value=dt.datetime(2026, 8, 13, 8, 0, tzinfo=UK)):
        html = client.get(f"/results/{second.public_id}/").content.decode()

    assert "Distinction" in html and "225 of 300 UMS" in html
    assert "85 of 100 UMS" in html and "distinction" in html


def test_the_open_badge_of_a_unitised_qualification_states_ums_and_raw_marks(setup: dict[str, Any]) -> None:
    from verification.credentials import credential_build

    second = setup["second"]
    results_import(text=_csv([(second, "F240", 45), (second, "F241", 8), (second, "F242", 30)]), now=BEFORE_RESULTS)
    certification_entry_create(entry=second, actor=None, now=BEFORE_RESULTS)

    credential = credential_build(result=Result.objects.get(entry=second))

    achievement = credential["credentialSubject"]["achievement"]
    kinds = {d["id"].rsplit("#", 1)[1]: (d["name"], d["resultType"]) for d in achievement["resultDescription"]}
    values = {r["resultDescription"].rsplit("#", 1)[1]: r["value"] for r in credential["credentialSubject"]["result"]}
    assert credential["name"] == "Advanced National in Business: Distinction"
    assert kinds["overall_score"] == ("Total uniform mark (UMS)", "ScaledScore")
    assert kinds["F240"] == ("F240 Unit F240 (raw mark)", "RawScore") and kinds["F240_ums"][1] == "ScaledScore"
    assert (values["overall_score"], values["F240"], values["F240_ums"]) == ("225", "45", "85")
    assert "uniform mark scale" in achievement["description"] and "Cambridge English" not in str(achievement)
