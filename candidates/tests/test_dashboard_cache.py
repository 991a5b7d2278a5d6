"""The dashboard's "Add another exam" form is rendered once per language and kept; the CSRF token is per visitor."""

import re

import pytest
from django.test import Client
from django.utils import timezone

from accounts.backends import USER_WITH_ACCOUNT
from accounts.tests.factories import UserFactory
from candidates.models import CandidateAccount

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _logged_in() -> Client:
    client = Client()
    account = CandidateAccount.objects.create(user=UserFactory(), email_confirmed_at=timezone.now())
    client.force_login(account.user, backend=USER_WITH_ACCOUNT)
    return client


def test_the_form_is_in_each_language_and_tokens_are_each_visitors_own() -> None:
    first, second = _logged_in(), _logged_in()

    english = first.get("/results/").content.decode()
    spanish = first.get("/es/results/").content.decode()
    again = second.get("/results/").content.decode()

    assert 'for="id_secret_number"' in english and "Secret number" in english
    assert "Número secreto" in spanish and "Secret number" not in spanish
    assert "Secret number" in again
    tokens = [TOKEN.findall(page) for page in (english, again)]
    assert all(len(found) >= 2 for found in tokens)  # logout, language, link form
    assert set(tokens[0]).isdisjoint(tokens[1])
