"""accounts.backends.UserWithAccountBackend: the session's user and candidate account from one query."""

from typing import Any

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, authenticate
from django.test import Client
from django.utils import timezone

from accounts.backends import USER_WITH_ACCOUNT, UserWithAccountBackend
from accounts.models import User
from candidates.models import CandidateAccount
from centres.tests.factories import EntryFactory

from .factories import UserFactory

pytestmark = pytest.mark.django_db


def _fields(instance: Any) -> dict[str, Any]:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def test_the_user_and_account_are_the_orms_own_in_one_query(django_assert_num_queries: Any) -> None:
    user = UserFactory(first_name="Ana", last_name="López")
    account = CandidateAccount.objects.create(user=user, email_confirmed_at=timezone.now(), language="es")

    with django_assert_num_queries(1):
        loaded = UserWithAccountBackend().get_user(str(user.pk))
        assert loaded is not None
        loaded_account = loaded.candidate_account  # type: ignore[attr-defined]
        assert loaded_account.user is loaded

    expected = User.objects.select_related("candidate_account").get(pk=user.pk)
    assert _fields(loaded) == _fields(expected)
    assert _fields(loaded_account) == _fields(account) == _fields(expected.candidate_account)  # type: ignore[attr-defined]
    assert loaded.get_session_auth_hash() == user.get_session_auth_hash()


def test_a_user_without_an_account_has_none_without_a_second_query(django_assert_num_queries: Any) -> None:
    user = UserFactory()

    with django_assert_num_queries(1):
        loaded = UserWithAccountBackend().get_user(user.pk)
        assert loaded is not None
        assert not hasattr(loaded, "candidate_account")


def test_unknown_and_inactive_users_are_none() -> None:
    inactive = UserFactory(is_active=False)

    assert UserWithAccountBackend().get_user(inactive.pk) is None
    assert UserWithAccountBackend().get_user(987654321) is None


def test_it_authenticates_nobody() -> None:
    user = UserFactory()
    user.set_password("a long enough password")
    user.save()

    assert (
        UserWithAccountBackend().authenticate(None, username=user.username, password="a long enough password") is None
    )
    assert authenticate(username=user.username, password="a long enough password") == user  # ModelBackend's job


def test_the_candidate_login_page_puts_this_backend_in_the_session(client: Client) -> None:
    entry = EntryFactory()
    user = UserFactory()
    user.set_password("a long enough password")
    user.save()
    account = CandidateAccount.objects.create(user=user, email_confirmed_at=timezone.now())
    account.links.create(entry=entry)

    response = client.post(
        "/results/login/", {"candidate_id": entry.candidate_id, "password": "a long enough password"}
    )

    assert response.status_code == 302
    assert client.session[BACKEND_SESSION_KEY] == USER_WITH_ACCOUNT
    assert client.get("/results/").status_code == 200
