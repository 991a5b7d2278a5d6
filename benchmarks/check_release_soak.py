"""Soak: the release-instant scenario with 2 000 candidates, the web tier far past its limit.

Everyone logs in beforehand, then asks for their statement from one second before the window opens, again and
again until they see it. With 5 sync workers the queue is long: what must hold is no 5xx, no failed
connection, nothing shown early, nobody left without their statement (check_release_instant.py).
"""

from .core import Check
from .data import SOAK_COUNT


def run() -> list[Check]:
    from .check_release_instant import release_instant

    return release_instant(count=SOAK_COUNT, goal_seconds=None, name="release soak")
