"""The centre's view of its candidates' results: only once released, only its own, CSV download."""

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from centres.tests.factories import EntryFactory, ExamSessionFactory, StaffMemberFactory
from conftest import otp_login
from results.models import Result
from results.tests.factories import result_for
from results_portal.tests.formula_cells import BOM_BYTES, FORMULA_CELLS

pytestmark = pytest.mark.django_db


def _client() -> tuple[Client, Any]:
    member = StaffMemberFactory()
    return otp_login(Client(), member.user), member


def _rows(client: Client, **params: str) -> list[dict[str, str]]:
    response = client.get("/centre/results.csv", params)
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_results_appear_only_from_their_release_instant() -> None:
    client, member = _client()
    now = timezone.now()
    released = EntryFactory(person__centre=member.centre)
    waiting = EntryFactory(person__centre=member.centre)
    held = EntryFactory(person__centre=member.centre)
    result_for(released, released_at=now - dt.timedelta(minutes=1))
    result_for(waiting, released_at=now + dt.timedelta(minutes=1), status=Result.Status.READY, grade="Grade A")
    result_for(held, released_at=None, status=Result.Status.HELD, grade="Grade C")

    rows = {r["candidate_id"]: r for r in _rows(client)}

    assert rows[released.candidate_id]["result"] == "Grade B"
    assert rows[released.candidate_id]["reading"] == "176"
    assert rows[waiting.candidate_id]["result"] == "" and rows[waiting.candidate_id]["reading"] == ""
    assert rows[held.candidate_id]["result"] == ""
    page = client.get("/centre/results/").content.decode()
    assert "Grade B" in page and "Grade A" not in page and "Grade C" not in page


def test_a_centre_never_sees_another_centres_results() -> None:
    client, member = _client()
    other = EntryFactory()
    result_for(other, released_at=timezone.now() - dt.timedelta(days=1))

    assert other.candidate_id not in client.get("/centre/results.csv").content.decode()
    assert other.candidate_id not in client.get("/centre/results/").content.decode()


def test_q_for_entries_past_the_window_without_a_result_and_session_filter() -> None:
    client, member = _client()
    old = ExamSessionFactory(date=timezone.localdate() - dt.timedelta(days=80))
    new = ExamSessionFactory(date=timezone.localdate() + dt.timedelta(days=10))
    pending = EntryFactory(person__centre=member.centre, session=old)
    upcoming = EntryFactory(person__centre=member.centre, session=new)

    rows = {r["candidate_id"]: r for r in _rows(client)}
    only_new = _rows(client, session=str(new.public_id))

    assert (rows[pending.candidate_id]["status"], rows[pending.candidate_id]["result"]) == ("pending", "Q")
    assert rows[upcoming.candidate_id]["status"] == "not_yet_released"
    assert [r["candidate_id"] for r in only_new] == [upcoming.candidate_id]


def test_results_page_query_count_is_constant(django_assert_max_num_queries: Any) -> None:
    client, member = _client()
    for _ in range(10):
        result_for(EntryFactory(person__centre=member.centre), released_at=timezone.now() - dt.timedelta(hours=1))

    with django_assert_max_num_queries(10):
        assert client.get("/centre/results/").status_code == 200


@pytest.mark.parametrize(("surname", "cell"), FORMULA_CELLS)
def test_results_csv_neutralises_a_name_that_is_a_formula(surname: str, cell: str) -> None:
    client, member = _client()
    entry = EntryFactory(person__centre=member.centre, person__last_name=surname)
    result_for(entry, released_at=timezone.now() - dt.timedelta(minutes=1))

    response = client.get("/centre/results.csv")

    assert response.content.startswith(BOM_BYTES)
    assert response["Cache-Control"] == "private, no-store" and "ETag" not in response
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    assert [(r["candidate_id"], r["last_name"], r["reading"]) for r in rows] == [(entry.candidate_id, cell, "176")]
