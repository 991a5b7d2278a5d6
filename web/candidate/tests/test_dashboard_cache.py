"""The dashboard's "Add another exam" form is rendered once per language and kept; the CSRF token is per visitor."""

import datetime as dt
import re
from typing import Any
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone

from accounts.backends import USER_WITH_ACCOUNT
from accounts.tests.factories import UserFactory
from candidates.models import CandidateAccount, LinkedEntry
from centres.models import Entry
from centres.tests.factories import EntryFactory
from results.models import Result
from results.services import result_hold
from results.tests.factories import account_for, result_for
from results_portal import pages
from verification.models import Verification

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


def _dashboard_of(entry: Entry) -> Client:
    client = Client()
    client.force_login(account_for(entry).user, backend=USER_WITH_ACCOUNT)
    return client


def test_a_second_visit_is_not_drawn_again_and_a_release_shows_at_once() -> None:
    entry = EntryFactory()
    release = timezone.now() + dt.timedelta(hours=1)
    result = result_for(entry, released_at=release, status=Result.Status.READY)
    client = _dashboard_of(entry)

    with mock.patch("results_portal.pages.render_to_string", wraps=pages.render_to_string) as drawn:
        before = [client.get("/results/").content.decode() for _ in range(2)]
        with mock.patch("django.utils.timezone.now", return_value=release):
            after = client.get("/results/").content.decode()

    assert drawn.call_count == 2  # once before the release instant, once at it
    assert "Grade B" not in before[0] and "Grade B" not in before[1]
    assert "Grade B" in after and f"/results/{entry.public_id}/" in after
    result_hold(result=result, actor=None, reason="enquiry")
    with mock.patch("django.utils.timezone.now", return_value=release):
        assert "Grade B" not in client.get("/results/").content.decode()


def test_a_new_verification_shows_at_once() -> None:
    entry = EntryFactory()
    result_for(entry, released_at=timezone.now() - dt.timedelta(days=1))
    client = _dashboard_of(entry)
    assert "Nobody has verified this result yet." in client.get("/results/").content.decode()

    Verification.objects.create(
        entry=entry, at=timezone.now(), channel=Verification.Channel.API, organisation_name="Uni of Testing"
    )

    assert "Uni of Testing" in client.get("/results/").content.decode()


def test_a_dashboard_served_from_the_cache_reads_four_queries_for_one_entry_as_for_six(
    django_assert_num_queries: Any,
) -> None:
    """The user with their account, the entries with their details, the visible results, the verifications."""

    def dashboard(entries: int) -> Client:
        first = EntryFactory()
        client = _dashboard_of(first)
        account = CandidateAccount.objects.get(user_id=int(client.session["_auth_user_id"]))
        for n in range(entries):
            entry = first if n == 0 else EntryFactory(person=first.person)
            if n:
                LinkedEntry.objects.create(account=account, entry=entry)
            result_for(entry, released_at=timezone.now() - dt.timedelta(days=1))
            Verification.objects.create(entry=entry, at=timezone.now(), channel=Verification.Channel.FORM)
        client.get("/results/")  # drawn and kept
        return client

    few, many = dashboard(1), dashboard(6)
    with django_assert_num_queries(4):
        assert few.get("/results/").status_code == 200
    with django_assert_num_queries(4):
        page = many.get("/results/").content.decode()
    assert page.count("Grade B") == 6
