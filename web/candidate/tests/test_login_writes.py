"""What a candidate's login sends to the database: the guard's turn with the account, and one commit for its writes."""

import datetime as dt
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from accounts.sessions import STARTED_KEY, is_staff_user
from accounts.tests.factories import DEFAULT_PASSWORD
from candidates import services
from candidates.models import CandidateAccount
from centres.tests.factories import EntryFactory, ExamSessionFactory, StaffMemberFactory
from results.tests.factories import account_for, result_for

pytestmark = pytest.mark.django_db(transaction=True)


def _candidate() -> Any:
    entry = EntryFactory(session=ExamSessionFactory(date=timezone.localdate() - dt.timedelta(days=40)))
    result_for(entry, released_at=timezone.now() - dt.timedelta(hours=1))
    account_for(entry)
    return entry


def _first_words(sql: str) -> str:
    return " ".join(sql.split()[:3])


def test_a_login_writes_the_last_login_and_the_session_in_one_commit() -> None:
    entry = _candidate()
    client = Client()

    with CaptureQueriesContext(connection) as captured:
        response = client.post("/results/login/", {"candidate_id": entry.candidate_id, "password": DEFAULT_PASSWORD})

    assert response.status_code == 302 and response["Location"] == "/results/"
    sql = [query["sql"] for query in captured.captured_queries]
    # The guard's transaction: its BEGIN, the turn, the lock state and the account (with its user and any staff
    # role) in one query string (the lock state and the account each the call of their kept plan). Django logs
    # the BEGIN it opened; psycopg does not send it (the query string does).
    assert sql[0] == "BEGIN" and sql[1].startswith("BEGIN; SELECT pg_advisory_xact_lock(")
    assert sql[1].count("; SELECT ") == 3 and sql[2] == "COMMIT"
    # Then one transaction: last_login and the new session (its save a savepoint, as Django writes it).
    assert sql[3] == "BEGIN" and sql[4].startswith('UPDATE "accounts_user" SET "last_login"')
    assert sql[5].startswith("SAVEPOINT") and sql[6].startswith('INSERT INTO "django_session"')
    assert sql[7].startswith("RELEASE SAVEPOINT") and sql[8] == "COMMIT"
    assert len(sql) == 9, [_first_words(statement) for statement in sql[9:]]

    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert Session.objects.filter(session_key=key).count() == 1  # committed, under the cookie's key
    assert User.objects.get(candidate_account__links__entry=entry).last_login is not None
    assert client.get("/results/").status_code == 200  # logged in


def test_after_logging_in_a_page_reads_the_user_and_what_it_shows_in_one_round_trip() -> None:
    """The login writes the candidate's account in the session (without a query), so each page of theirs sends
    its own query with the user's (web/candidate/access.py)."""
    entry = _candidate()
    client = Client()
    with CaptureQueriesContext(connection) as login:
        client.post("/results/login/", {"candidate_id": entry.candidate_id, "password": DEFAULT_PASSWORD})
    assert len(login) == 9
    client.get("/results/")
    client.get(f"/results/{entry.public_id}/")

    for path in ("/results/", f"/results/{entry.public_id}/"):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        assert len(captured) == 1 and '"accounts_user"' in captured.captured_queries[0]["sql"]


def test_logging_in_again_replaces_the_session_and_deletes_the_old_one() -> None:
    entry = _candidate()
    client = Client()
    client.post("/results/login/", {"candidate_id": entry.candidate_id, "password": DEFAULT_PASSWORD})
    first = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.post("/results/logout/")

    client.post("/results/login/", {"candidate_id": entry.candidate_id, "password": DEFAULT_PASSWORD})

    second = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert second != first
    assert not Session.objects.filter(session_key=first).exists()
    assert Session.objects.filter(session_key=second).exists()
    assert client.get("/results/").status_code == 200


def test_the_account_read_with_the_guards_turn_is_the_one_the_orm_finds() -> None:
    """``account_from_rows`` gives what ``account_for_candidate_id`` gives: the account, its user, and whether the
    user is centre staff too (known without a query when they are not)."""
    plain, staff = _candidate(), _candidate()
    StaffMemberFactory(user=User.objects.get(candidate_account__links__entry=staff))

    for entry, is_staff in ((plain, False), (staff, True)):
        sql, params = services.account_for_candidate_id_read(candidate_id=entry.candidate_id)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        with CaptureQueriesContext(connection) as captured:
            account = services.account_from_rows(rows)
            assert account is not None and account.user.candidate_account is account
            if not is_staff:
                assert not is_staff_user(account.user)
        assert len(captured) == 0
        expected = services.account_for_candidate_id(candidate_id=entry.candidate_id)
        assert expected is not None and account.pk == expected.pk
        assert [getattr(account, f.attname) for f in CandidateAccount._meta.concrete_fields] == [
            getattr(expected, f.attname) for f in CandidateAccount._meta.concrete_fields
        ]
        assert [getattr(account.user, f.attname) for f in User._meta.concrete_fields] == [
            getattr(expected.user, f.attname) for f in User._meta.concrete_fields
        ]
        assert is_staff_user(account.user) is is_staff
    assert services.account_from_rows([]) is None


def test_a_candidate_who_is_centre_staff_too_gets_a_staff_session() -> None:
    entry = _candidate()
    StaffMemberFactory(user=User.objects.get(candidate_account__links__entry=entry))
    client = Client()

    response = client.post("/results/login/", {"candidate_id": entry.candidate_id, "password": DEFAULT_PASSWORD})

    assert response.status_code == 302
    assert STARTED_KEY in client.session


@pytest.mark.parametrize("disable", ["inactive", "unusable password", "unknown ID"])
def test_a_login_that_cannot_match_checks_a_password_all_the_same(disable: str) -> None:
    """No answer comes back sooner for a disabled account (or an unknown ID) than for a wrong password: each
    costs one Argon2id check, so timing does not tell which Candidate IDs hold a disabled account."""
    from django.contrib.auth import hashers

    entry = _candidate()
    user = User.objects.get(candidate_account__links__entry=entry)
    if disable == "inactive":
        user.is_active = False
    elif disable == "unusable password":
        user.set_unusable_password()
    user.save()
    candidate_id = "ZZ9999999" if disable == "unknown ID" else entry.candidate_id

    hasher = type(hashers.get_hasher())  # the tests' own: the one every password and the dummy hash use
    with mock.patch.object(hasher, "verify", autospec=True, return_value=False) as verify:
        response = Client().post("/results/login/", {"candidate_id": candidate_id, "password": DEFAULT_PASSWORD})

    assert response.status_code == 200 and "_auth_user_id" not in Client().session
    assert verify.call_count == 1
