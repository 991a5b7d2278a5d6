"""The dashboard in the page cache: kept under a key of everything it shows, read in one query a request
(web/candidate/dashboard.py), so a release, a hold, an amendment, a corrected name or a new verification shows at
once; its "Add another exam" form is rendered once per language and kept; the CSRF token is per visitor."""

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
from centres.models import Candidate, Centre, Entry
from centres.tests.factories import EntryFactory
from exams.models import Exam, ExamSession
from results.models import Result
from results.services import result_hold
from results.tests.factories import account_for, result_for
from results_portal import pages
from verification.models import ShareLink, Verification, VerifierOrganisation
from web.candidate.dashboard import DashboardLine, dashboard_lines

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


def _dashboard_with(entries: int) -> Client:
    """A candidate holding ``entries`` entries, each with a released result and a verification."""
    first = EntryFactory()
    client = _dashboard_of(first)
    account = CandidateAccount.objects.get(user_id=int(client.session["_auth_user_id"]))
    for n in range(entries):
        entry = first if n == 0 else EntryFactory(person=first.person)
        if n:
            LinkedEntry.objects.create(account=account, entry=entry)
        result_for(entry, released_at=timezone.now() - dt.timedelta(days=1))
        Verification.objects.create(entry=entry, at=timezone.now(), channel=Verification.Channel.FORM)
    return client


def test_a_dashboard_served_from_the_cache_is_one_round_trip_for_one_entry_as_for_six(
    django_assert_num_queries: Any,
) -> None:
    """The user with their account, and the one query of everything the page shows (web/candidate/dashboard.py),
    sent together: one round trip to PostgreSQL."""
    few, many = _dashboard_with(1), _dashboard_with(6)
    for client in (few, many):
        client.get("/results/")  # drawn and kept

    with mock.patch("results_portal.pages.render_to_string", side_effect=AssertionError("drawn again")):
        with django_assert_num_queries(1):
            assert few.get("/results/").status_code == 200
        with django_assert_num_queries(1):
            page = many.get("/results/").content.decode()
    assert page.count("Grade B") == 6


def test_a_dashboard_drawn_is_one_round_trip_for_one_entry_as_for_six(django_assert_num_queries: Any) -> None:
    """Not in the cache: the user and the page's lines, which hold everything it shows (it is drawn from them), in
    one round trip."""
    few, many = _dashboard_with(1), _dashboard_with(6)

    with django_assert_num_queries(1):
        assert few.get("/results/").status_code == 200
    with django_assert_num_queries(1):
        page = many.get("/results/").content.decode()
    assert page.count("Grade B") == 6 and page.count("Verified by an anonymous verifier") == 6


def test_the_release_instant_is_exact_to_the_second_on_a_page_kept() -> None:
    """The page kept a second before the instant is not the one served at it, nor the one kept at it after a hold."""
    entry = EntryFactory()
    release = timezone.now() + dt.timedelta(hours=1)
    result = result_for(entry, released_at=release, status=Result.Status.READY)
    client = _dashboard_of(entry)

    with mock.patch("django.utils.timezone.now", return_value=release - dt.timedelta(seconds=1)):
        before = [client.get("/results/").content.decode() for _ in range(2)]
    with mock.patch("django.utils.timezone.now", return_value=release):
        at = [client.get("/results/").content.decode() for _ in range(2)]
        result_hold(result=result, actor=None, reason="enquiry")
        held = client.get("/results/").content.decode()

    assert all("Grade B" not in page and "Your results will be available by" in page for page in before)
    assert all("Grade B" in page for page in at)
    assert "Grade B" not in held and "Result under review" in held


def test_an_amendment_a_corrected_name_and_a_vetted_organisation_show_at_once() -> None:
    entry = EntryFactory(person__first_name="Amelia")
    result = result_for(entry, released_at=timezone.now() - dt.timedelta(days=1))
    organisation = VerifierOrganisation.objects.create(
        user=UserFactory(), name="Uni of Testing", country="Spain", email="admissions@example.edu"
    )
    Verification.objects.create(
        entry=entry,
        at=timezone.now(),
        channel=Verification.Channel.API,
        organisation=organisation,
        organisation_name=organisation.name,
    )
    client = _dashboard_of(entry)
    first = [client.get("/results/").content.decode() for _ in range(2)][1]  # the second from the cache

    Result.objects.filter(pk=result.pk).update(grade="Grade A", overall_score=185, version=2)
    amended = client.get("/results/").content.decode()
    Candidate.objects.filter(pk=entry.person_id).update(first_name="Amélie")
    renamed = client.get("/results/").content.decode()
    VerifierOrganisation.objects.filter(pk=organisation.pk).update(verified_at=timezone.now())
    vetted = client.get("/results/").content.decode()

    assert "Grade B" in first and "Hello, Amelia." in first and "unverified organisation" in first
    assert "Grade A" in amended and "Grade B" not in amended
    assert "Hello, Amélie." in renamed
    assert "unverified organisation" not in vetted and "verified organisation" in vetted


def test_a_page_drawn_shows_no_result_its_key_was_not_made_with() -> None:
    """The lines are read a second before the instant and the objects at it: the page kept under the lines' key
    shows what the lines give, never a result they did not."""
    entry = EntryFactory()
    release = timezone.now() + dt.timedelta(hours=1)
    result_for(entry, released_at=release, status=Result.Status.READY)
    client = _dashboard_of(entry)

    def lines_a_second_early(*, account_id: int, now: dt.datetime) -> list[DashboardLine]:
        return dashboard_lines(account_id=account_id, now=now - dt.timedelta(seconds=1))

    with (
        mock.patch("django.utils.timezone.now", return_value=release),
        mock.patch("web.candidate.views.account.dashboard_lines", side_effect=lines_a_second_early),
        mock.patch("web.candidate.views.account.alongside_rows", return_value=None),  # read by the view itself
    ):
        page = client.get("/results/").content.decode()

    assert "Your results will be available by" in page and "Grade B" not in page


def test_a_renamed_centre_or_exam_and_a_share_links_organisation_show_at_once() -> None:
    """Values read as subqueries of the page's one query (web/candidate/dashboard.py) are in its key as the joined
    ones were: each change shows on the next request, in one query for the lines."""
    entry = EntryFactory()
    result_for(entry, released_at=timezone.now() - dt.timedelta(days=1))
    account = account_for(entry)
    link = ShareLink.objects.create(
        entry=entry,
        account=account,
        organisation_name="Old College",
        token_digest="a" * 64,
        expires_at=timezone.now() + dt.timedelta(days=30),
    )
    Verification.objects.create(entry=entry, at=timezone.now(), channel=Verification.Channel.LINK, share_link=link)
    client = Client()
    client.force_login(account.user, backend=USER_WITH_ACCOUNT)
    first = [client.get("/results/").content.decode() for _ in range(2)][1]

    Centre.objects.filter(pk=entry.centre_id).update(name="Renamed Centre")
    Exam.objects.filter(sessions__pk=entry.session_id).update(name="Renamed Exam")
    ShareLink.objects.filter(pk=link.pk).update(organisation_name="New College")
    changed = client.get("/results/").content.decode()

    assert "Renamed" not in first and "the link you made for Old College" in first
    assert "Renamed Centre" in changed and "Renamed Exam" in changed and "the link you made for New College" in changed
    assert "Old College" not in changed


def test_the_lines_query_joins_no_table_only_shown() -> None:
    """The centre, exam, person, organisation and share link are read in subqueries, outside the join: PostgreSQL
    searches the join orders of every table joined on each request, which cost more than running the query."""
    from web.candidate.dashboard import Audience, _rows

    query = _rows(
        Entry.objects.filter(account_link__account_id=1),
        audience=Audience.candidate(1),
        now=timezone.now(),
    ).query
    str(query)  # compiled: every join made

    joined = {join.table_name for join in query.alias_map.values() if query.alias_refcount[join.table_alias]}
    assert joined == {
        Entry._meta.db_table,
        LinkedEntry._meta.db_table,
        Result._meta.db_table,
        ExamSession._meta.db_table,
        Verification._meta.db_table,
    }
