"""The machine's hash slots: no more hashes at once than slots, across processes, and every slot given back."""

import multiprocessing
import time
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from accounts import hash_slots
from accounts.hash_slots import hash_slot
from accounts.hashers import Argon2idOWASPHasher

HOLD_SECONDS = 0.02


def _hold_slots(folder: str, slots: int, times: int, events: Any) -> None:
    from django.conf import settings

    settings.PASSWORD_HASH_SLOTS = slots
    settings.PASSWORD_HASH_SLOTS_DIR = folder
    for _ in range(times):
        with hash_slot():
            events.put((time.monotonic(), 1))
            time.sleep(HOLD_SECONDS)
            events.put((time.monotonic(), -1))


def test_no_more_processes_hash_at_once_than_there_are_slots(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    events = context.Queue()
    workers = [context.Process(target=_hold_slots, args=(str(tmp_path), 2, 5, events)) for _ in range(5)]
    for worker in workers:
        worker.start()
    changes = sorted(events.get(timeout=30) for _ in range(2 * 5 * 5))
    for worker in workers:
        worker.join(timeout=30)

    running, most = 0, 0
    for _at, change in changes:
        running += change
        most = max(most, running)
    assert most == 2  # the slots were all used, and never one more


def test_a_slot_is_given_back_when_its_block_raises(tmp_path: Path) -> None:
    with override_settings(PASSWORD_HASH_SLOTS=1, PASSWORD_HASH_SLOTS_DIR=str(tmp_path)):
        with pytest.raises(ValueError), hash_slot():
            raise ValueError("a hash that failed")
        started = time.monotonic()
        with hash_slot():
            pass
    assert time.monotonic() - started < 1


def test_a_thread_or_a_process_waits_for_a_slot_held_elsewhere(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    events = context.Queue()
    with override_settings(PASSWORD_HASH_SLOTS=1, PASSWORD_HASH_SLOTS_DIR=str(tmp_path)), hash_slot():
        other = context.Process(target=_hold_slots, args=(str(tmp_path), 1, 1, events))
        other.start()
        time.sleep(0.2)
        assert events.empty()  # it waits while this process holds the only slot
        released = time.monotonic()
    entered, _change = events.get(timeout=10)
    other.join(timeout=10)
    assert entered >= released


@override_settings(PASSWORD_HASH_SLOTS=1)
def test_the_argon2id_hasher_hashes_and_verifies_in_a_slot(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr("django.conf.settings.PASSWORD_HASH_SLOTS_DIR", str(tmp_path))
    taken: list[str] = []
    original = hash_slots.hash_slot

    def recording() -> Any:
        taken.append("slot")
        return original()

    monkeypatch.setattr("accounts.hashers.hash_slot", recording)
    hasher = Argon2idOWASPHasher()

    encoded = hasher.encode("correct horse", hasher.salt())

    assert hasher.verify("correct horse", encoded) and not hasher.verify("wrong horse", encoded)
    assert taken == ["slot"] * 3
