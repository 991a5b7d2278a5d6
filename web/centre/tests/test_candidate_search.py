"""The centre's candidate list: search by name in any order with accents folded, or by Candidate ID; filters by
session, exam, result and registration; sort orders; pages; a constant number of queries."""

import datetime as dt
import re
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from centres.imports import entries_import
from centres.models import Candidate
from centres.tests.factories import (
    CentreFactory,
    EntryFactory,
    ExamSessionFactory,
    StaffMemberFactory,
    csv_text,
    entry_row,
)
from conftest import CommittingClient, otp_login
from exams.models import Exam
from results.models import Result
from results.tests.factories import account_for, result_for

pytestmark = pytest.mark.django_db


def _staff_client(centre: Any) -> Client:
    return otp_login(CommittingClient(), StaffMemberFactory(centre=centre).user)


def _listed(client: Client, **params: str) -> list[str]:
    """Return the Candidate IDs the list shows, in order."""
    response = client.get("/centre/", params)
    assert response.status_code == 200
    return re.findall(r'<a href="/centre/entries/[0-9a-f-]+/">([A-Z0-9]+)</a>', response.content.decode())


def _person(centre: Any, first: str, last: str, **entry: Any) -> Any:
    return EntryFactory(person__centre=centre, person__first_name=first, person__last_name=last, **entry)


def test_a_full_name_finds_the_candidate_in_either_order_in_any_case() -> None:
    centre = CentreFactory()
    amelia = _person(centre, "Amelia", "Hughes")
    other_amelia = _person(centre, "Amelia", "Smith")
    other_hughes = _person(centre, "Oliver", "Hughes")
    client = _staff_client(centre)

    for query in ["Amelia Hughes", "hughes amelia", "HUGHES, Amelia", "  amelia   hughes ", "amel hugh"]:
        assert _listed(client, q=query) == [amelia.candidate_id], query
    assert set(_listed(client, q="Amelia")) == {amelia.candidate_id, other_amelia.candidate_id}
    assert set(_listed(client, q="hughes")) == {amelia.candidate_id, other_hughes.candidate_id}
    assert _listed(client, q="Amelia Jones") == []


def test_accents_are_folded_both_ways() -> None:
    centre = CentreFactory()
    zoe = _person(centre, "Zoë", "Ólafsdóttir")
    jose = _person(centre, "Jose", "Muller")
    client = _staff_client(centre)

    assert _listed(client, q="Zoe") == [zoe.candidate_id]
    assert _listed(client, q="zoe olafsdottir") == [zoe.candidate_id]
    assert _listed(client, q="ÓLAFSDÓTTIR") == [zoe.candidate_id]
    assert _listed(client, q="José Müller") == [jose.candidate_id]


def test_a_candidate_id_in_any_case_finds_its_entry() -> None:
    centre = CentreFactory()
    entry = _person(centre, "Wei", "Chen", candidate_id="SIR094701")
    _person(centre, "Wei", "Wang")
    client = _staff_client(centre)

    assert _listed(client, q="sir094701") == [entry.candidate_id]
    assert _listed(client, q=" SIR094701 ") == [entry.candidate_id]


def test_imported_and_renamed_candidates_are_found_by_their_names() -> None:
    centre = CentreFactory(number="GB901")
    session = ExamSessionFactory()
    row = entry_row(
        centre_number=centre.number,
        first_name="Søren",
        last_name="Ørsted",
        exam_code=session.exam.code,
        session_date=session.date.isoformat(),
        mode=session.mode,
    )
    entries_import(text=csv_text([row]))
    client = _staff_client(centre)

    assert len(_listed(client, q="Søren Ørsted")) == 1
    person = Candidate.objects.get(last_name="Ørsted")
    person.first_name, person.last_name = "Soren", "Oersted"
    person.save(update_fields=["first_name", "last_name"])
    assert _listed(client, q="Søren Ørsted") == []
    assert len(_listed(client, q="oersted soren")) == 1


def test_the_migration_fills_the_search_names_of_candidates_already_entered() -> None:
    from importlib import import_module

    centre = CentreFactory()
    _person(centre, "Zoë", "Brontë")
    Candidate.objects.update(search_name="")

    import_module("centres.migrations.0006_candidate_search_name").search_names_fill(apps, None)

    assert list(Candidate.objects.values_list("search_name", flat=True)) == ["zoe bronte"]


def test_filters_by_session_exam_result_and_registration() -> None:
    centre = CentreFactory()
    now = timezone.now()
    past = ExamSessionFactory(exam=Exam.objects.get(code="FCE"), date=timezone.localdate() - dt.timedelta(days=200))
    future = ExamSessionFactory(exam=Exam.objects.get(code="CAE"), date=timezone.localdate() + dt.timedelta(days=40))
    released = _person(centre, "Rhea", "Released", session=past)
    result_for(released, released_at=now - dt.timedelta(days=100))
    account_for(released)
    held = _person(centre, "Hana", "Held", session=past)
    result_for(held, released_at=now - dt.timedelta(days=100), status=Result.Status.HELD)
    missing = _person(centre, "Mika", "Missing", session=past)
    waiting = _person(centre, "Wanda", "Waiting", session=future)
    account_for(waiting)
    client = _staff_client(centre)

    assert set(_listed(client, session=str(past.pk))) == {
        released.candidate_id,
        held.candidate_id,
        missing.candidate_id,
    }
    assert _listed(client, exam="CAE") == [waiting.candidate_id]
    assert _listed(client, result="released") == [released.candidate_id]
    assert set(_listed(client, result="pending")) == {held.candidate_id, missing.candidate_id}
    assert _listed(client, result="not_released") == [waiting.candidate_id]
    assert set(_listed(client, registered="yes")) == {released.candidate_id, waiting.candidate_id}
    assert set(_listed(client, registered="no")) == {held.candidate_id, missing.candidate_id}
    assert _listed(client, registered="no", q="held", exam="FCE", result="pending") == [held.candidate_id]

    html = client.get("/centre/", {"q": "Rhea"}).content.decode()
    row = html[html.index(released.candidate_id) :]
    row = row[: row.index("</tr>")]
    assert "<td>Released</td>" in row and "<td>Registered</td>" in row
    held_row = client.get("/centre/", {"q": "Hana"}).content.decode()
    assert "Q — pending" in held_row and "Grade B" not in held_row


def test_sort_orders() -> None:
    centre = CentreFactory()
    old = ExamSessionFactory(exam=Exam.objects.get(code="PET"), date=dt.date(2025, 3, 8))
    new = ExamSessionFactory(exam=Exam.objects.get(code="CAE"), date=dt.date(2025, 11, 22))
    b = _person(centre, "Bea", "Zeta", session=old, candidate_id="AAA000003")
    c = _person(centre, "Cal", "Alpha", session=new, candidate_id="AAA000001")
    a = _person(centre, "Ada", "Mu", session=new, candidate_id="AAA000002")
    client = _staff_client(centre)

    assert _listed(client) == ["AAA000001", "AAA000002", "AAA000003"]  # newest exam first, then by name
    assert _listed(client, sort="name") == [c.candidate_id, a.candidate_id, b.candidate_id]
    assert _listed(client, sort="candidate_id") == ["AAA000001", "AAA000002", "AAA000003"]
    assert _listed(client, sort="exam") == [b.candidate_id, c.candidate_id, a.candidate_id]  # B1 Preliminary, C1…
    assert _listed(client, sort="exam", q="zeta") == [b.candidate_id]


def test_the_form_has_a_label_for_every_control_and_pages_keep_the_search() -> None:
    centre = CentreFactory()
    for number in range(55):
        _person(centre, f"Amelia{number}", "Hughes", candidate_id=f"HUG{number:06d}")
    client = _staff_client(centre)

    html = client.get("/centre/", {"q": "amelia hughes", "sort": "candidate_id"}).content.decode()

    for control in ["q", "session", "exam", "result", "registered", "sort"]:
        assert re.search(rf'<label for="id_{control}">[^<]+</label>', html), control
    assert "55 entries" in html
    assert 'href="?q=amelia+hughes&amp;sort=candidate_id&amp;page=2"' in html
    second = _listed(client, q="amelia hughes", sort="candidate_id", page="2")
    assert second == [f"HUG{number:06d}" for number in range(50, 55)]


@pytest.mark.parametrize("params", [{}, {"q": "hughes amelia", "result": "pending", "registered": "no"}])
def test_the_list_costs_the_same_queries_for_5_and_50_candidates(params: dict[str, str]) -> None:
    def queries(count: int) -> int:
        centre = CentreFactory()
        past = ExamSessionFactory(exam=Exam.objects.get(code="FCE"), date=dt.date(2025, 3, 8))
        for number in range(count):
            entry = _person(centre, f"Amelia{number}", "Hughes", **({"session": past} if number % 2 else {}))
            if number % 3 == 0:
                account_for(entry)
        client = _staff_client(centre)
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/centre/", params).status_code == 200
        return len(captured)

    assert queries(5) == queries(50)


def test_the_certificate_desk_finds_a_full_name_the_same_way() -> None:
    centre = CentreFactory()
    now = timezone.now()
    amelia = _person(centre, "Amélia", "Hughes")
    result_for(amelia, released_at=now - dt.timedelta(days=1))
    oliver = _person(centre, "Oliver", "Hughes")
    result_for(oliver, released_at=now - dt.timedelta(days=1))
    client = _staff_client(centre)

    found = client.get("/centre/certificates/", {"q": "hughes amelia"}).content.decode()

    assert amelia.candidate_id in found and oliver.candidate_id not in found
