"""At most one password hash per core at a time on one machine: a semaphore of locked files.

Argon2id is memory-hard on purpose: each hash walks 19 MiB. Five gunicorn workers on two cores that hash at once
take turns on the cores and evict each other's memory from the caches, and each hash gets slower: on the benchmark
machine bare verifies ran 11 % slower with four or five processes than with one per core. So a hash takes one of
``PASSWORD_HASH_SLOTS`` slots (one per core unless set) and a worker that finds none free sleeps until one is: the
hashes that run, run at full speed, and the others wait no longer than they would have lost.

A slot is a file in ``PASSWORD_HASH_SLOTS_DIR`` locked with ``flock``: the lock belongs to the open file, so it is
released when the hash ends, and by the kernel should the process die; each try opens the file anew, so threads and
forked processes are told apart. Only one waiter at a time looks for a free slot (it holds the ``waiting`` file), so
however many wait, one process polls.
"""

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings

# A hash takes about 20 ms; the waiter that looks for a free slot looks this often.
_POLL_SECONDS = 0.0005


def _slots() -> int:
    return max(1, int(settings.PASSWORD_HASH_SLOTS or len(os.sched_getaffinity(0))))


def _open(path: Path) -> int:
    return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)


def _take_free(folder: Path, count: int) -> int | None:
    """Return an open, locked slot file, or None when every slot is taken."""
    start = os.getpid() % count  # processes start their search at different slots
    for index in range(count):
        descriptor = _open(folder / f"slot-{(start + index) % count}")
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            continue
        return descriptor
    return None


@contextlib.contextmanager
def hash_slot() -> Iterator[None]:
    """Hold one of this machine's hash slots for the block; wait (asleep) until one is free."""
    folder = Path(settings.PASSWORD_HASH_SLOTS_DIR)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    count = _slots()
    descriptor = _take_free(folder, count)
    if descriptor is None:
        waiting = _open(folder / "waiting")
        try:
            fcntl.flock(waiting, fcntl.LOCK_EX)  # the other waiters sleep here
            while (descriptor := _take_free(folder, count)) is None:
                time.sleep(_POLL_SECONDS)
        finally:
            os.close(waiting)
    try:
        yield
    finally:
        os.close(descriptor)  # closing the only descriptor of the open file releases its lock
