"""The statement page's cache: a rendered page is reused only after the database says the visitor may see it.

Every request asks the visibility selector (ownership, release instant, hold, withdrawal); the cached page is
keyed by what the page shows of the result, its version and the language, so an amendment, a hold or another
candidate never meets a stale or foreign copy, and the CSRF token is the visitor's own.
"""

import contextlib
import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.contrib.messages import constants as message_levels
from django.contrib.messages.storage.cookie import CookieStorage
from django.db import connection
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.backends import ACCOUNT_KEY, USER_WITH_ACCOUNT
from candidates.models import CandidateAccount
from centres.models import Candidate, Entry
from results.models import Result
from results.selectors import Audience, _statement_fingerprint, results_visible, statement_fingerprint
from results.services import result_hold, result_unhold
from results_portal import pages
from results_portal.tests.redis_sent import commands, redis_round_trips
from web.candidate.views import statement as views

from .test_statement_page import _account, _entry, _result

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _login(client: Client, account: CandidateAccount) -> Client:
    client.force_login(account.user, backend=USER_WITH_ACCOUNT)
    return client


def _get(client: Client, entry: Entry, query: str = "") -> Any:
    return client.get(f"/results/{entry.public_id}/{query}")


def _released_to(client: Client) -> tuple[CandidateAccount, Entry]:
    """Log ``client`` in as a new candidate with a Grade B released; return the account and the entry."""
    account = _account()
    entry = _entry(account)
    _result(entry)
    _login(client, account)
    return account, entry


def test_the_second_visit_is_served_from_the_cache_in_one_round_trip_to_each_store(
    client: Client, django_assert_num_queries: Any
) -> None:
    _owner, entry = _released_to(client)
    first = _get(client, entry)

    # The session with the page kept for this URL (one round trip to Redis), then the session's user with their
    # account and the visibility check (one query string to PostgreSQL); no render.
    with (
        mock.patch.object(views, "_statement_context", side_effect=AssertionError("rendered again")),
        django_assert_num_queries(1) as queries,
        _redis_reads() as reads,
    ):
        second = _get(client, entry)

    assert second.status_code == 200
    assert TOKEN.sub("", second.content.decode()) == TOKEN.sub("", first.content.decode())
    assert "Grade B" in second.content.decode()
    assert '"accounts_user"' in queries.captured_queries[0]["sql"].split("; ")[0]
    assert _statement_fingerprint.kept_plan().name in queries.captured_queries[0]["sql"].split("; ")[1]
    assert reads == [["MGET", 2]]


def test_without_the_account_in_the_session_the_page_is_served_all_the_same(
    client: Client, django_assert_num_queries: Any
) -> None:
    """A session written before the account was kept in it: the user, then the visibility check, as before."""
    _owner, entry = _released_to(client)
    _get(client, entry)  # drawn and kept
    session = client.session
    del session[ACCOUNT_KEY]
    session.save()

    with django_assert_num_queries(2):
        page = _get(client, entry)
    assert page.status_code == 200 and "Grade B" in page.content.decode()


def test_a_session_naming_another_account_never_gets_its_rows(client: Client) -> None:
    """The account written in the session is only a guess made at login: were it another's, that account's result
    is read with the user but not used; the page is the user's own, or a 404."""
    mine, theirs = _account(), _account()
    my_entry, their_entry = _entry(mine), _entry(theirs)
    _result(my_entry)
    _result(their_entry)
    own = _get(_login(Client(), mine), my_entry).content.decode()
    _login(client, mine)
    session = client.session
    session[ACCOUNT_KEY] = theirs.pk
    session.save()

    assert _get(client, their_entry).status_code == 404
    page = _get(client, my_entry)
    assert page.status_code == 200 and TOKEN.sub("", page.content.decode()) == TOKEN.sub("", own)


@contextlib.contextmanager
def _redis_reads() -> Iterator[list[list[object]]]:
    """Record the reads this process sends to Redis (command, number of keys), one entry per read command; a
    round trip that carries a read may carry writes too (the traffic count: results_portal.cache.writes_ahead)."""
    reads: list[list[object]] = []
    with redis_round_trips() as sent:
        yield reads
    for message in sent:
        for name, *keys in commands(message):
            if name.upper() in {b"GET", b"MGET"}:
                reads.append([name.decode().upper(), len(keys)])


def test_each_visitor_gets_their_own_csrf_token_and_a_working_logout(client: Client) -> None:
    account = _account()
    entry = _entry(account)
    _result(entry)
    other = Client()
    _login(client, account)
    _login(other, account)

    tokens = {TOKEN.findall(_get(c, entry).content.decode())[0] for c in (client, other, client)}

    assert len(tokens) == 3  # masked differently every time, never the placeholder of the stored copy
    assert not any(t.startswith("csrf-") for t in tokens)
    enforcing = Client(enforce_csrf_checks=True)
    _login(enforcing, account)
    token = TOKEN.findall(_get(enforcing, entry).content.decode())[0]
    assert enforcing.post("/results/logout/", {"csrfmiddlewaretoken": token}).status_code == 302


def test_an_amendment_shows_at_once(client: Client) -> None:
    account = _account()
    entry = _entry(account)
    result = _result(entry)
    _login(client, account)
    assert "Grade B" in _get(client, entry).content.decode()

    Result.objects.filter(pk=result.pk).update(
        grade="Grade A", overall_score=185, version=2, amended_at=timezone.now()
    )

    page = _get(client, entry).content.decode()
    assert "Grade A" in page and "This result was amended" in page


def test_a_corrected_name_shows_at_once(client: Client) -> None:
    account = _account()
    entry = _entry(account)
    _result(entry)
    _login(client, account)
    _get(client, entry)

    Candidate.objects.filter(pk=entry.person_id).update(first_name="Corrected")

    assert "Corrected" in _get(client, entry).content.decode()


def test_a_result_held_after_it_was_cached_is_a_404_and_comes_back_when_released_again(client: Client) -> None:
    account = _account()
    entry = _entry(account)
    result = _result(entry)
    _login(client, account)
    assert _get(client, entry).status_code == 200

    result_hold(result=result, actor=None, reason="malpractice enquiry")
    assert _get(client, entry).status_code == 404

    result_unhold(result=result, actor=None, reason="enquiry closed")
    assert _get(client, entry).status_code == 200


def test_a_withdrawn_entry_is_a_404_even_with_its_page_in_the_cache(client: Client) -> None:
    account = _account()
    entry = _entry(account)
    _result(entry)
    _login(client, account)
    assert _get(client, entry).status_code == 200

    Entry.objects.filter(pk=entry.pk).update(status=Entry.Status.WITHDRAWN)

    assert _get(client, entry).status_code == 404


def test_another_candidate_never_gets_the_cached_page(client: Client) -> None:
    owner = _account()
    entry = _entry(owner)
    _result(entry)
    assert _get(_login(Client(), owner), entry).status_code == 200

    intruder = _account()
    assert _get(_login(client, intruder), entry).status_code == 404


def test_the_cache_is_never_filled_before_the_release_instant(client: Client) -> None:
    account = _account()
    entry = _entry(account)
    release = timezone.now() + dt.timedelta(hours=1)
    _result(entry, released_at=release, status=Result.Status.READY)
    _login(client, account)

    with mock.patch("django.utils.timezone.now", return_value=release - dt.timedelta(seconds=1)):
        assert _get(client, entry).status_code == 404
    with mock.patch("django.utils.timezone.now", return_value=release):
        assert _get(client, entry).status_code == 200


def test_each_language_has_its_own_copy(client: Client) -> None:
    account = _account()
    entry = _entry(account)
    _result(entry)
    _login(client, account)
    english = _get(client, entry).content.decode()

    spanish = client.get(f"/es/results/{entry.public_id}/").content.decode()

    assert 'lang="en"' in english and "Your result" in english
    assert 'lang="es"' in spanish and "Your result" not in spanish


def test_pages_with_messages_or_a_query_string_are_rendered_afresh(client: Client) -> None:
    account = _account()
    entry = _entry(account)
    _result(entry)
    _login(client, account)
    _get(client, entry)
    storage = CookieStorage(RequestFactory().get("/"))
    storage.add(message_levels.SUCCESS, "Your email address is confirmed.")
    response = HttpResponse()
    storage.update(response)
    client.cookies[storage.cookie_name] = response.cookies[storage.cookie_name].value

    with mock.patch.object(views, "_statement_context", wraps=views._statement_context) as rendered:
        with_message = _get(client, entry).content.decode()
        with_query = _get(client, entry, "?from=email").content.decode()

    assert rendered.call_count == 2
    assert "Your email address is confirmed." in with_message
    assert f'value="/results/{entry.public_id}/?from=email"' in with_query


def test_the_fingerprint_query_is_the_selectors_own(django_assert_num_queries: Any) -> None:
    account = _account()
    entry = _entry(account)
    result = _result(entry)
    now = timezone.now()

    with django_assert_num_queries(1):
        found = statement_fingerprint(account_id=account.pk, public_id=entry.public_id, now=now)

    expected = (
        results_visible(audience=Audience.candidate(account.pk), now=now)
        .filter(entry__public_id=entry.public_id)
        .values_list("pk", "version", "grade", "overall_score")
        .get()
    )
    assert found is not None
    assert (found[0], found[1], found[4], found[5]) == expected == (result.pk, 1, "Grade B", 176)
    assert (
        statement_fingerprint(account_id=account.pk, public_id=entry.public_id, now=now - dt.timedelta(days=2)) is None
    )


def test_a_deployment_that_changes_the_page_makes_new_keys(tmp_path: Path, settings: Any) -> None:
    for name in (*pages.COMMON_SOURCES, *views.STATEMENT_SOURCES):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("version 1")
    settings.BASE_DIR = tmp_path
    pages.sources_version.cache_clear()
    try:
        before = pages.page_key("statement", 1, (1, 1), views.STATEMENT_SOURCES)
        (tmp_path / "templates/base.html").write_text("version 2")
        pages.sources_version.cache_clear()
        assert pages.page_key("statement", 1, (1, 1), views.STATEMENT_SOURCES) != before
    finally:
        pages.sources_version.cache_clear()


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_user_and_the_check_go_together_the_check_through_its_kept_plan() -> None:
    """As in production (no transaction around the request): the user and the check in one query string, the
    check a call of the function ``migrate`` wrote for it (results_portal/prepared.py)."""
    client = Client()
    _owner, entry = _released_to(client)
    _get(client, entry)

    with CaptureQueriesContext(connection) as queries:
        page = _get(client, entry)

    assert page.status_code == 200 and "Grade B" in page.content.decode()
    assert len(queries) == 1
    assert f"; SELECT * FROM {_statement_fingerprint.kept_plan().name}(" in queries.captured_queries[0]["sql"]  # noqa: S608


@pytest.mark.django_db(transaction=True)
def test_with_server_side_binding_each_query_goes_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """Binding values on the server makes each query one prepared statement: nothing is sent together there."""
    client = Client()
    _owner, entry = _released_to(client)
    connection.close()
    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "server_side_binding", True)
    try:
        with CaptureQueriesContext(connection) as queries:
            first, again = _get(client, entry), _get(client, entry)
    finally:
        connection.close()  # the next test's connection binds on the client again

    assert first.status_code == again.status_code == 200 and "Grade B" in again.content.decode()
    assert not any("; " in query["sql"] for query in queries.captured_queries)
    assert len(queries) == 2 + 2 + 2  # the user, the check (and the result with its scores, once, to draw it)
