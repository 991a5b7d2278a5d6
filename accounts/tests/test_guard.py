"""Brute-force protection: lockout per Candidate ID, throttles per network and overall, audit (accounts/guard.py)."""

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from unittest.mock import patch

import pytest
from django.db import connection, transaction
from django.test import RequestFactory
from pytest_django import DjangoAssertNumQueries, Settings

from accounts import guard
from accounts.guard import (
    BUSY,
    LOCKED,
    LOCKED_PASSWORD,
    THROTTLED,
    WRONG_DETAILS,
    WRONG_PASSWORD,
    GuardFailure,
    GuardRefusal,
    Lookup,
    client_ip,
    guard_check,
    guard_prune,
    guard_reset,
    password_matches,
)
from accounts.models import AuthFailure, CredentialLock, User
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from centres.selectors import entry_matching_secret
from centres.tests.factories import DEFAULT_SECRET, EntryFactory
from conftest import close_thread_connections, wait_until

pytestmark = pytest.mark.django_db

KNOWN_ID = "SIR094701"
RIGHT = "8482"
WRONG = "1111"
OTHER_ID = "ABC234567"
SECRETS = {KNOWN_ID: RIGHT, OTHER_ID: "5926"}
IP = "192.0.2.10"


class Clock:
    """A stand-in for ``django.utils.timezone.now`` that moves only when told to."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock() -> Iterator[Clock]:
    # 10:00:00 UTC is 10:00 UK time in November, and the start of a 10-minute window.
    frozen = Clock(datetime(2026, 11, 24, 10, 0, tzinfo=UTC))
    with patch("django.utils.timezone.now", frozen):
        yield frozen


def secret_try(candidate_id: str, secret: str, *, ip: str = IP, purpose: str = "register", allowance: int = 1) -> str:
    """Try a secret number against ``SECRETS``; return the matched Candidate ID."""
    return guard_check(
        kind="secret",
        identifier=candidate_id,
        ip=ip,
        purpose=purpose,
        verify=lambda cid: cid if SECRETS.get(cid) == secret else None,
        allowance=allowance,
    )


def password_try(candidate_id: str, password: str, *, ip: str = IP) -> str:
    return guard_check(
        kind="password",
        identifier=candidate_id,
        ip=ip,
        purpose="login",
        verify=lambda cid: cid if cid == KNOWN_ID and password == DEFAULT_PASSWORD else None,
    )


def fail(attempt: Callable[[], object]) -> GuardRefusal:
    """Run a try that must not succeed; return what it raised."""
    with pytest.raises(GuardRefusal) as raised:
        attempt()
    return raised.value


def lock(candidate_id: str = KNOWN_ID, *, ip: str = IP) -> GuardRefusal:
    """Fail five times; return the fifth failure (the one that locks)."""
    for _ in range(4):
        fail(lambda: secret_try(candidate_id, WRONG, ip=ip))
    return fail(lambda: secret_try(candidate_id, WRONG, ip=ip))


def outcome(error: GuardRefusal) -> tuple[str, str, int, str]:
    return type(error).__name__, error.message, error.retry_after, error.reason


def test_right_secret_returns_the_match_for_the_normalised_id(clock: Clock) -> None:
    assert secret_try(f"  {KNOWN_ID.lower()} ", RIGHT) == KNOWN_ID
    assert not AuthFailure.objects.exists()


def test_wrong_secret_is_a_counted_failure_with_the_wrong_details_message(clock: Clock) -> None:
    error = fail(lambda: secret_try(KNOWN_ID, WRONG))

    assert isinstance(error, GuardFailure)
    assert outcome(error) == ("GuardFailure", WRONG_DETAILS, 0, "failed")
    assert CredentialLock.objects.get(kind="secret", identifier=KNOWN_ID).failures == 1


def test_five_failures_lock_the_id_and_the_right_secret_is_then_refused(clock: Clock) -> None:
    fifth = lock()

    assert isinstance(fifth, GuardFailure)
    assert fifth.message == LOCKED % {"time": "10:15, 24 November 2026"}
    assert fifth.retry_after == 15 * 60

    calls: list[str] = []
    sixth = fail(
        lambda: guard_check(
            kind="secret", identifier=KNOWN_ID, ip=IP, purpose="register", verify=lambda cid: calls.append(cid)
        )
    )
    assert not isinstance(sixth, GuardFailure)
    assert outcome(sixth) == ("GuardRefusal", LOCKED % {"time": "10:15, 24 November 2026"}, 15 * 60, "locked")
    assert calls == [], "a locked ID is refused before its secret number is compared"
    assert AuthFailure.objects.count() == 5, "a refused try is not a new failure"


def test_lock_time_is_shown_in_uk_time_rounded_up_to_the_minute(clock: Clock) -> None:
    clock.now = datetime(2026, 7, 1, 9, 0, 30, tzinfo=UTC)  # 10:00:30 British Summer Time

    assert lock().message == LOCKED % {"time": "10:16, 1 July 2026"}


def test_lock_expires_after_fifteen_minutes(clock: Clock) -> None:
    lock()

    clock.advance(minutes=14, seconds=59)
    assert fail(lambda: secret_try(KNOWN_ID, RIGHT)).retry_after == 1
    clock.advance(seconds=1)
    assert secret_try(KNOWN_ID, RIGHT) == KNOWN_ID


def test_each_further_lock_doubles_up_to_24_hours(clock: Clock) -> None:
    for minutes in [15, 30, 60, 120, 240, 480, 960, 1440, 1440]:
        started = clock.now
        assert lock().retry_after == minutes * 60
        assert CredentialLock.objects.get(identifier=KNOWN_ID).locked_until == started + timedelta(minutes=minutes)
        clock.advance(minutes=minutes)

    assert CredentialLock.objects.get(identifier=KNOWN_ID).locks == 9


def test_success_resets_the_failure_count_and_the_doubling(clock: Clock) -> None:
    lock()
    clock.advance(minutes=15)
    for _ in range(4):
        fail(lambda: secret_try(KNOWN_ID, WRONG))

    assert secret_try(KNOWN_ID, RIGHT) == KNOWN_ID

    for _ in range(4):
        assert fail(lambda: secret_try(KNOWN_ID, WRONG)).message == WRONG_DETAILS
    assert lock().retry_after == 15 * 60, "a first 15-minute lock again, not a second (30-minute) one"


def test_unknown_id_and_wrong_secret_get_the_same_answers_and_the_same_lock(clock: Clock) -> None:
    unknown = [outcome(fail(lambda: secret_try("ZZZ999999", WRONG))) for _ in range(6)]
    wrong = [outcome(fail(lambda: secret_try(KNOWN_ID, WRONG))) for _ in range(6)]

    assert unknown == wrong
    assert [reason for *_, reason in unknown] == ["failed"] * 5 + ["locked"]
    states = {
        lock.identifier: (lock.failures, lock.locks, lock.locked_until, lock.last_failure_at)
        for lock in CredentialLock.objects.all()
    }
    assert states["ZZZ999999"] == states[KNOWN_ID]
    assert AuthFailure.objects.filter(identifier="ZZZ999999").count() == 5
    assert AuthFailure.objects.filter(identifier=KNOWN_ID).count() == 5


def test_failures_from_many_addresses_lock_the_id(clock: Clock) -> None:
    for n in range(5):
        fail(partial(secret_try, KNOWN_ID, WRONG, ip=f"198.51.100.{n}"))

    assert fail(lambda: secret_try(KNOWN_ID, RIGHT, ip="203.0.113.99")).reason == "locked"


def test_one_secret_sprayed_over_many_ids_from_one_address_is_throttled(clock: Clock) -> None:
    for n in range(20):
        assert fail(partial(secret_try, f"SPR{n:06d}", WRONG)).reason == "failed"

    refused = fail(lambda: secret_try(KNOWN_ID, RIGHT))
    assert outcome(refused) == ("GuardRefusal", THROTTLED % {"minutes": 10}, 600, "ip")
    assert not CredentialLock.objects.filter(locks__gt=0).exists(), "one try per ID locks none of them"
    assert secret_try(KNOWN_ID, RIGHT, ip="203.0.113.7") == KNOWN_ID, "another address is not throttled"

    clock.advance(minutes=10)
    assert secret_try(OTHER_ID, SECRETS[OTHER_ID]) == OTHER_ID, "the next window starts afresh"


def test_ipv6_addresses_are_counted_by_their_64_block(clock: Clock, settings: Settings) -> None:
    settings.GUARD_IP_FAILURES = 3
    for n in range(3):
        fail(partial(secret_try, f"SIX{n:06d}", WRONG, ip=f"2001:db8:1:2::{n + 1:x}"))

    assert fail(lambda: secret_try(KNOWN_ID, RIGHT, ip="2001:db8:1:2:ffff::9")).reason == "ip"
    assert secret_try(KNOWN_ID, RIGHT, ip="2001:db8:1:3::1") == KNOWN_ID


def test_an_allowance_multiplies_the_address_limit(clock: Clock, settings: Settings) -> None:
    settings.GUARD_IP_FAILURES = 2
    for n in range(5):
        fail(partial(secret_try, f"VER{n:06d}", WRONG, purpose="verify", allowance=3))

    assert secret_try(KNOWN_ID, RIGHT, purpose="verify", allowance=3) == KNOWN_ID
    fail(lambda: secret_try("VER000099", WRONG, purpose="verify", allowance=3))
    assert fail(lambda: secret_try(KNOWN_ID, RIGHT, purpose="verify", allowance=3)).reason == "ip"


def test_a_spray_from_many_addresses_reaches_the_global_limit(clock: Clock, settings: Settings) -> None:
    settings.GUARD_GLOBAL_FAILURES_PER_MINUTE = 10
    for n in range(10):
        fail(partial(secret_try, f"GLO{n:06d}", WRONG, ip=f"198.51.100.{n}"))

    refused = fail(lambda: secret_try(KNOWN_ID, RIGHT, ip="203.0.113.1"))
    assert outcome(refused) == ("GuardRefusal", BUSY % {"minutes": 1}, 60, "global")
    assert password_try(KNOWN_ID, DEFAULT_PASSWORD) == KNOWN_ID, "password tries are counted apart"

    clock.advance(minutes=1)
    assert secret_try(KNOWN_ID, RIGHT, ip="203.0.113.1") == KNOWN_ID


def test_a_locked_id_does_not_block_another_id_from_the_same_address(clock: Clock) -> None:
    lock(KNOWN_ID)
    for _ in range(30):
        assert fail(lambda: secret_try(KNOWN_ID, RIGHT)).reason == "locked"

    assert secret_try(OTHER_ID, SECRETS[OTHER_ID]) == OTHER_ID


def test_every_failure_is_audited_and_refusals_are_not(clock: Clock) -> None:
    lock(KNOWN_ID, ip="2001:db8::7")
    fail(lambda: secret_try(KNOWN_ID, RIGHT))

    rows = list(AuthFailure.objects.order_by("pk").values_list("kind", "identifier", "ip", "purpose", "caused_lock"))
    assert rows == [("secret", KNOWN_ID, "2001:db8::7", "register", False)] * 4 + [
        ("secret", KNOWN_ID, "2001:db8::7", "register", True)
    ]
    assert AuthFailure.objects.first().at == clock.now  # type: ignore[union-attr]


def test_an_unparsable_address_is_audited_as_unknown(clock: Clock) -> None:
    fail(lambda: secret_try(KNOWN_ID, WRONG, ip="not-an-address"))

    assert AuthFailure.objects.get().ip is None


def test_guard_reset_unlocks_the_id_and_forgets_the_doubling(clock: Clock) -> None:
    lock()

    guard_reset(kind="secret", identifier=f" {KNOWN_ID.lower()}")

    assert secret_try(KNOWN_ID, RIGHT) == KNOWN_ID
    assert CredentialLock.objects.filter(identifier=KNOWN_ID, failures=0, locks=0, locked_until__isnull=True).exists()


def test_secret_failures_do_not_lock_password_login_and_the_other_way_round(clock: Clock) -> None:
    lock()
    assert password_try(KNOWN_ID, DEFAULT_PASSWORD) == KNOWN_ID

    guard_reset(kind="secret", identifier=KNOWN_ID)
    for _ in range(5):
        fail(lambda: password_try(KNOWN_ID, "wrong-password"))
    assert secret_try(KNOWN_ID, RIGHT) == KNOWN_ID


def test_password_tries_have_their_own_messages(clock: Clock) -> None:
    assert fail(lambda: password_try("ZZZ999999", "x")).message == WRONG_PASSWORD
    for _ in range(5):
        fail(lambda: password_try(KNOWN_ID, "wrong-password"))

    refused = fail(lambda: password_try(KNOWN_ID, DEFAULT_PASSWORD))
    assert outcome(refused) == (
        "GuardRefusal",
        LOCKED_PASSWORD % {"time": "10:15, 24 November 2026"},
        15 * 60,
        "locked",
    )


def test_an_identifier_too_long_to_store_is_still_counted(clock: Clock) -> None:
    long_id = "X" * 500
    for _ in range(5):
        fail(lambda: secret_try(long_id, WRONG))

    assert fail(lambda: secret_try(long_id, WRONG)).reason == "locked"
    assert fail(lambda: secret_try("X" * 150, WRONG)).reason == "failed", "a prefix is another identifier"


def test_unknown_kind_or_purpose_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="pin"):
        guard_check(kind="pin", identifier=KNOWN_ID, ip=IP, purpose="login", verify=lambda cid: cid)
    with pytest.raises(ValueError, match="signup"):
        guard_check(kind="secret", identifier=KNOWN_ID, ip=IP, purpose="signup", verify=lambda cid: cid)


def test_it_refuses_to_run_inside_the_callers_transaction() -> None:
    """A failure counted inside a transaction that the caller then rolls back would be a free guess."""
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        secret_try(KNOWN_ID, WRONG)


def test_a_guarded_try_takes_a_small_fixed_number_of_queries(
    clock: Clock, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    # Each count includes the savepoint pair that stands for the guard's transaction inside the test's. The ID's
    # turn and its lock state go to the server as one query string (one round trip).
    with django_assert_num_queries(3) as captured:  # the turn and the state: nothing written
        assert secret_try(KNOWN_ID, RIGHT) == KNOWN_ID
    turn_and_state = captured.captured_queries[1]["sql"]
    assert turn_and_state.startswith("SELECT pg_advisory_xact_lock(")
    assert f"; SELECT * FROM {guard._lock_state_rows.kept_plan().name}(" in turn_and_state  # noqa: S608
    with django_assert_num_queries(5):  # turn and state, upsert the count, audit the failure
        fail(lambda: secret_try(KNOWN_ID, WRONG))
    with django_assert_num_queries(5):
        fail(lambda: secret_try(OTHER_ID, WRONG))
    with django_assert_num_queries(4):  # turn and state, clear the failure
        assert secret_try(KNOWN_ID, RIGHT) == KNOWN_ID
    with django_assert_num_queries(3):
        assert secret_try(KNOWN_ID, RIGHT) == KNOWN_ID
    lock(OTHER_ID)
    with django_assert_num_queries(4):  # turn and state, then rolled back: refused without comparing or writing
        assert fail(lambda: secret_try(OTHER_ID, RIGHT)).reason == "locked"


def _second_waits_for_the_firsts_turn(
    first: Callable[[], None], second: Callable[[], None], *, comparing: threading.Event, release: threading.Event
) -> None:
    """Run ``first`` in a thread until it holds the turn (it sets ``comparing``, then waits for ``release``), then
    ``second`` in another; once ``second``'s connection waits on a lock, release ``first`` and wait for both."""
    backend: list[int] = []

    def in_thread(attempt: Callable[[], None], *, note_backend: bool) -> Callable[[], None]:
        def run() -> None:
            try:
                if note_backend:
                    with connection.cursor() as cursor:
                        cursor.execute("SELECT pg_backend_pid()")
                        backend.append(cursor.fetchone()[0])
                attempt()
            finally:
                close_thread_connections()

        return run

    def waits_on_a_lock() -> bool:
        if not backend:
            return False
        with connection.cursor() as cursor:
            cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [backend[0]])
            row = cursor.fetchone()
        return row is not None and row[0] == "Lock"

    holding = threading.Thread(target=in_thread(first, note_backend=False))
    holding.start()
    assert comparing.wait(timeout=10)
    waiting = threading.Thread(target=in_thread(second, note_backend=True))
    waiting.start()
    wait_until(waits_on_a_lock, timeout=10, message="the second try never waited for the ID's turn")
    release.set()
    holding.join()
    waiting.join()


@pytest.mark.django_db(transaction=True)
def test_the_lock_state_read_with_the_turn_sees_the_lock_committed_while_waiting() -> None:
    """The state is read by the second statement of the query string, once the turn is granted: a right secret
    number waiting for its turn behind the fifth failure is refused, never compared."""
    for _ in range(4):
        fail(lambda: secret_try(KNOWN_ID, WRONG))
    comparing, release = threading.Event(), threading.Event()
    compared: list[str] = []
    answers: list[str] = []

    def slow_wrong(cid: str) -> None:
        comparing.set()
        release.wait(timeout=10)

    def fifth_failure() -> None:
        try:
            guard_check(kind="secret", identifier=KNOWN_ID, ip=IP, purpose="api", verify=slow_wrong)
        except GuardFailure as error:
            answers.append(error.reason)

    def right_secret() -> None:
        try:
            guard_check(kind="secret", identifier=KNOWN_ID, ip=IP, purpose="api", verify=compared.append)
        except GuardRefusal as error:
            answers.append(error.reason)

    _second_waits_for_the_firsts_turn(fifth_failure, right_secret, comparing=comparing, release=release)

    assert sorted(answers) == ["failed", "locked"]
    assert compared == []


def test_a_success_writes_nothing_for_an_id_that_never_failed(clock: Clock) -> None:
    assert secret_try(KNOWN_ID, RIGHT) == KNOWN_ID

    assert not CredentialLock.objects.exists()
    assert not AuthFailure.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_failures_are_all_counted_and_no_more_than_five_are_compared() -> None:
    compared: list[str] = []
    answers: list[str] = []
    start = threading.Barrier(10)

    def attack(n: int) -> None:
        def verify(cid: str) -> None:
            compared.append(cid)

        start.wait()
        try:
            guard_check(kind="secret", identifier=KNOWN_ID, ip=f"198.51.100.{n}", purpose="api", verify=verify)
        except GuardRefusal as error:
            answers.append(error.reason)
        finally:
            close_thread_connections()

    threads = [threading.Thread(target=attack, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(compared) == 5
    assert sorted(answers) == ["failed"] * 5 + ["locked"] * 5
    assert AuthFailure.objects.count() == 5
    assert CredentialLock.objects.get(identifier=KNOWN_ID).locks == 1


@pytest.mark.django_db(transaction=True)
def test_a_reset_waits_for_a_try_in_progress_so_its_failure_cannot_undo_the_reset() -> None:
    for _ in range(4):
        fail(lambda: secret_try(KNOWN_ID, WRONG))
    comparing, release = threading.Event(), threading.Event()

    def slow_wrong(cid: str) -> None:
        comparing.set()
        release.wait(timeout=10)

    def attempt() -> None:
        try:
            guard_check(kind="secret", identifier=KNOWN_ID, ip=IP, purpose="register", verify=slow_wrong)
        except GuardFailure:
            pass
        finally:
            close_thread_connections()

    reset_backend: list[int] = []

    def reissue() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            reset_backend.append(cursor.fetchone()[0])
        try:
            guard_reset(kind="secret", identifier=KNOWN_ID)
        finally:
            close_thread_connections()

    def reset_waits_on_a_lock() -> bool:
        if not reset_backend:
            return False
        with connection.cursor() as cursor:
            cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [reset_backend[0]])
            row = cursor.fetchone()
        return row is not None and row[0] == "Lock"

    trying = threading.Thread(target=attempt)
    trying.start()
    assert comparing.wait(timeout=10)
    resetting = threading.Thread(target=reissue)
    resetting.start()
    wait_until(
        reset_waits_on_a_lock, timeout=10, message="the reset never waited on a PostgreSQL lock for the ID's turn"
    )
    assert resetting.is_alive(), "the reset waits for the identifier's turn"
    release.set()
    trying.join()
    resetting.join()

    state = CredentialLock.objects.get(identifier=KNOWN_ID)
    assert (state.failures, state.locks, state.locked_until) == (0, 0, None), "the fifth failure came first"
    assert secret_try(KNOWN_ID, RIGHT) == KNOWN_ID


def test_guard_prune_deletes_old_failures_and_forgets_quiet_locks(clock: Clock) -> None:
    lock(KNOWN_ID)
    fail(lambda: secret_try(OTHER_ID, WRONG))
    assert secret_try(OTHER_ID, SECRETS[OTHER_ID]) == OTHER_ID

    assert guard_prune(now=clock.now + timedelta(days=1)) == (0, 1), "only the row the success emptied goes"
    assert guard_prune(now=clock.now + timedelta(days=366)) == (6, 1)
    assert not CredentialLock.objects.exists()


def test_guard_prune_keeps_a_lock_that_is_still_running(clock: Clock, settings: Settings) -> None:
    settings.GUARD_LOCK_MEMORY_DAYS = 0
    lock()

    assert guard_prune(now=clock.now + timedelta(minutes=1)) == (0, 0)


@pytest.mark.parametrize(
    ("trusted", "forwarded", "expected"),
    [
        (0, "203.0.113.5", "10.0.0.1"),
        (1, "198.51.100.66, 203.0.113.5", "203.0.113.5"),
        (2, "198.51.100.66, 203.0.113.5, 10.0.0.9", "203.0.113.5"),
        (2, "203.0.113.5", "10.0.0.1"),
        (1, "not-an-address", "10.0.0.1"),
        (1, "", "10.0.0.1"),
    ],
)
def test_client_ip_trusts_only_the_configured_proxies(
    settings: Settings, trusted: int, forwarded: str, expected: str
) -> None:
    settings.GUARD_TRUSTED_PROXY_COUNT = trusted
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)

    assert client_ip(request) == expected


def test_password_matches_hashes_a_dummy_when_there_is_no_user() -> None:
    user: User = UserFactory.create()

    with patch("accounts.guard.check_password", wraps=guard.check_password) as checked:
        assert password_matches(user=None, password=DEFAULT_PASSWORD) is False
    assert checked.call_count == 1, "the unknown-ID path runs the password hasher too"
    assert password_matches(user=user, password=DEFAULT_PASSWORD) is True
    assert password_matches(user=user, password="wrong-password") is False
    user.is_active = False
    assert password_matches(user=user, password=DEFAULT_PASSWORD) is False


def test_with_real_entries_an_unknown_id_and_a_wrong_secret_look_the_same(clock: Clock) -> None:
    entry = EntryFactory.create(candidate_id=KNOWN_ID)

    def entry_try(candidate_id: str, secret_number: str) -> object:
        return guard_check(
            kind="secret",
            identifier=candidate_id,
            ip=IP,
            purpose="link",
            verify=lambda cid: entry_matching_secret(candidate_id=cid, secret_number=secret_number),
        )

    assert entry_try(KNOWN_ID.lower(), DEFAULT_SECRET) == entry
    unknown = [outcome(fail(partial(entry_try, "ZZZ999999", DEFAULT_SECRET))) for _ in range(6)]
    wrong = [outcome(fail(partial(entry_try, KNOWN_ID, "0000"))) for _ in range(6)]
    assert unknown == wrong
    assert wrong[-1][-1] == "locked"


# --- The guard's BEGIN in its turn's query string (begin_in_query_string), on the Lookup path ---------------------
FOLD_ID = "FLD000001"


def _lookup_try(compare: Callable[[str, Any], Any], answers: list[str]) -> None:
    try:
        guard_check(
            kind="secret",
            identifier=FOLD_ID,
            ip="192.0.2.10",
            purpose="api",
            verify=lambda cid: None,
            lookup=Lookup(read=lambda cid: ("SELECT 1", []), compare=compare),
        )
        answers.append("matched")
    except GuardRefusal as error:
        answers.append(error.reason)


def _driver_clean() -> None:
    """Django and the driver both back in autocommit, no transaction open, and a later block still works."""
    from psycopg.pq import TransactionStatus

    driver = connection.connection
    assert connection.get_autocommit() and driver.autocommit
    assert driver.info.transaction_status == TransactionStatus.IDLE
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT 1")


@pytest.mark.django_db(transaction=True)
def test_a_try_whose_read_goes_with_the_turn_waits_its_turn_and_sees_the_lock_committed_meanwhile() -> None:
    """Four failures, then a slow fifth (it locks the ID) and a right one meanwhile: the right one waits for the
    turn, then finds the lock and is never compared; the connections are left clean (found by a review)."""
    answers: list[str] = []
    for _ in range(4):
        _lookup_try(lambda cid, rows: None, answers)
    _driver_clean()
    comparing, release = threading.Event(), threading.Event()
    compared: list[str] = []

    def slow_wrong(cid: str, rows: Any) -> None:
        comparing.set()
        release.wait(timeout=10)

    def right(cid: str, rows: Any) -> str:
        compared.append(cid)
        return "match"

    _second_waits_for_the_firsts_turn(
        lambda: _lookup_try(slow_wrong, answers),
        lambda: _lookup_try(right, answers),
        comparing=comparing,
        release=release,
    )
    assert sorted(answers[4:]) == ["failed", "locked"] and compared == []
    _driver_clean()
