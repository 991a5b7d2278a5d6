"""GET /results/<entry>/statement.pdf: the candidate's own released result only, served from storage."""

import datetime as dt
from typing import Any
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone

from accounts.tests.factories import UserFactory
from certificates import services
from certificates.models import Document
from certificates.tests.conftest import _site_url  # noqa: F401 - autouse: SITE_URL as in the documents tests
from certificates.tests.factories import pdf_text, released_entry
from results.models import Result
from results.services import result_hold
from results.tests.factories import account_for

pytestmark = pytest.mark.django_db


def _logged_in(entry: object) -> Client:
    client = Client()
    client.force_login(account_for(entry).user)  # type: ignore[arg-type]
    return client


def _url(entry: object) -> str:
    return f"/results/{entry.public_id}/statement.pdf"  # type: ignore[attr-defined]


def _status(client: Client, url: str) -> int:
    """Return the status of a GET, reading the streamed file to the end (which closes it)."""
    response = client.get(url)
    if response.streaming:
        b"".join(response.streaming_content)  # type: ignore[arg-type]
    return response.status_code


def test_the_candidate_downloads_their_statement() -> None:
    entry, result = released_entry(first_name="Wei", last_name="Chen")
    client = _logged_in(entry)

    response = client.get(_url(entry))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert (
        response["Content-Disposition"] == f'attachment; filename="statement-of-results-FCE-{entry.candidate_id}.pdf"'
    )
    assert response["Cache-Control"] == "private, no-store"
    assert "ETag" not in response and "Last-Modified" not in response
    text = pdf_text(b"".join(response.streaming_content))  # type: ignore[arg-type]
    assert "Wei Chen" in text and entry.candidate_id in text


def test_a_statement_is_never_kept_by_the_browser_so_a_hold_takes_it_back(fake_pdf: list[tuple[str, str]]) -> None:
    entry, result = released_entry()
    client = _logged_in(entry)
    first = client.get(_url(entry))
    b"".join(first.streaming_content)  # type: ignore[arg-type]

    # A browser that kept anything could only revalidate it: it is never told "304 Not Modified".
    again = client.get(
        _url(entry), headers={"if-none-match": "*", "if-modified-since": "Sat, 01 Jan 2000 00:00:00 GMT"}
    )
    assert again.status_code == 200 and again["Cache-Control"] == "private, no-store"
    b"".join(again.streaming_content)  # type: ignore[arg-type]
    result_hold(result=result, actor=None, reason="Malpractice investigation")

    assert client.get(_url(entry)).status_code == 404


def test_served_from_storage_without_rendering_when_the_file_exists(fake_pdf: list[tuple[str, str]]) -> None:
    entry, result = released_entry()
    services.documents_render_for_results(result_ids=[result.pk])
    rendered = len(fake_pdf)

    client = _logged_in(entry)
    assert [_status(client, _url(entry)) for _ in range(3)] == [200, 200, 200]

    assert len(fake_pdf) == rendered


def test_rendered_once_on_request_when_the_task_has_not_run(fake_pdf: list[tuple[str, str]]) -> None:
    entry, _result = released_entry()
    client = _logged_in(entry)

    assert _status(client, _url(entry)) == 200
    assert _status(client, _url(entry)) == 200

    assert [kind for kind, _name in fake_pdf].count(Document.Kind.STATEMENT) == 1
    assert Document.objects.filter(kind=Document.Kind.STATEMENT).count() == 1


def test_a_missing_file_is_rendered_again_under_the_same_document(fake_pdf: list[tuple[str, str]]) -> None:
    entry, result = released_entry()
    services.documents_render_for_results(result_ids=[result.pk])
    statement = Document.objects.get(kind=Document.Kind.STATEMENT)
    statement.file.storage.delete(statement.file.name)

    assert _status(_logged_in(entry), _url(entry)) == 200
    assert Document.objects.get(kind=Document.Kind.STATEMENT).uuid == statement.uuid


def test_an_amended_result_gets_a_new_statement_and_the_old_one_is_superseded(fake_pdf: list[tuple[str, str]]) -> None:
    entry, result = released_entry()
    client = _logged_in(entry)
    _status(client, _url(entry))
    Result.objects.filter(pk=result.pk).update(version=2, grade="Grade A", amended_at=timezone.now())

    assert _status(client, _url(entry)) == 200

    old, new = Document.objects.filter(kind=Document.Kind.STATEMENT).order_by("created_at")
    assert (old.status, old.replaced_by, old.result_version) == (Document.Status.SUPERSEDED, new, 1)
    assert (new.status, new.result_version) == (Document.Status.CURRENT, 2)


@pytest.mark.parametrize(
    "state",
    [
        {"released_at": timezone.now() + dt.timedelta(hours=1), "status": Result.Status.READY},
        {"released_at": None, "status": Result.Status.HELD},
    ],
    ids=["before release", "held"],
)
def test_404_before_release_and_while_held(state: dict[str, object], fake_pdf: list[tuple[str, str]]) -> None:
    entry, _result = released_entry(**state)

    assert _status(_logged_in(entry), _url(entry)) == 404
    assert fake_pdf == []


def test_404_for_another_candidates_statement(fake_pdf: list[tuple[str, str]]) -> None:
    mine, _ = released_entry()
    theirs, _ = released_entry()
    account_for(theirs)

    assert _status(_logged_in(mine), _url(theirs)) == 404
    assert fake_pdf == []


def test_404_for_a_withdrawn_entry(fake_pdf: list[tuple[str, str]]) -> None:
    entry, _ = released_entry()
    entry.status = entry.Status.WITHDRAWN
    entry.save()

    assert _status(_logged_in(entry), _url(entry)) == 404


def test_visitors_log_in_first_and_other_users_are_sent_to_the_candidate_login(
    fake_pdf: list[tuple[str, str]],
) -> None:
    """The candidate area's one gate (web/candidate/access.py): no confirmed candidate account, no PDF."""
    entry, _ = released_entry()

    anonymous = Client().get(_url(entry))
    staff = Client()
    staff.force_login(UserFactory(username="someone@example.org"))
    refused = staff.get(_url(entry))

    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/results/login/?next=")
    assert refused.status_code == 302 and refused["Location"] == "/results/login/"
    assert "_auth_user_id" not in staff.session


def test_unconfirmed_accounts_are_sent_to_the_candidate_login(fake_pdf: list[tuple[str, str]]) -> None:
    entry, _ = released_entry()
    client = Client()
    client.force_login(account_for(entry, confirmed=False).user)

    response = client.get(_url(entry))

    assert response.status_code == 302 and response["Location"] == "/results/login/"


def test_a_stored_statement_costs_a_few_queries(
    django_assert_max_num_queries: Any, fake_pdf: list[tuple[str, str]]
) -> None:
    entry, result = released_entry()
    services.documents_render_for_results(result_ids=[result.pk])
    client = _logged_in(entry)

    # Session, user, account, the result (through the selector) with its scores, the document.
    with django_assert_max_num_queries(6):
        assert _status(client, _url(entry)) == 200


def test_a_pdf_not_rendered_yet_is_asked_of_the_workers_and_never_rendered_in_the_request(
    fake_pdf: list[tuple[str, str]],
) -> None:
    entry, result = released_entry()
    client = _logged_in(entry)

    # As on a real results day: the task goes to the broker and a documents worker renders it later.
    with mock.patch("certificates.tasks.documents_render.apply_async") as queued:
        answers = [client.get(_url(entry)) for _ in range(3)]

    assert fake_pdf == []  # nothing rendered by the web request
    assert [a.status_code for a in answers] == [202, 202, 202]
    page = answers[0].content.decode()
    assert "Your PDF is being prepared" in page and "try again in 15 seconds" in page
    assert answers[0]["Retry-After"] == "15" and "no-store" in answers[0]["Cache-Control"]
    assert f'href="/results/{entry.public_id}/statement.pdf"' in page
    # Once a minute per result, on the urgent queue, for this result only.
    queued.assert_called_once_with(kwargs={"result_ids": [result.pk]}, queue=services.URGENT_QUEUE)

    services.documents_render_for_results(result_ids=[result.pk])  # the worker's turn

    assert _status(client, _url(entry)) == 200


def test_the_preparing_page_never_shows_before_release_or_to_others(fake_pdf: list[tuple[str, str]]) -> None:
    entry, result = released_entry()
    Result.objects.filter(pk=result.pk).update(released_at=timezone.now() + dt.timedelta(hours=1))

    with mock.patch("certificates.tasks.documents_render.apply_async") as queued:
        assert _status(_logged_in(entry), _url(entry)) == 404
        other, _ = released_entry()
        assert _status(_logged_in(other), _url(entry)) == 404

    queued.assert_not_called()
