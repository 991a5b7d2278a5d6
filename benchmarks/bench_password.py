"""Password check with the portal's hasher stack against one bare Argon2id verify with the same parameters."""

import argon2
import django
from django.contrib.auth.hashers import check_password, make_password

from .core import Figure, rate

PASSWORD = "correct horse battery staple"  # noqa: S105 - benchmark input


def run() -> list[Figure]:
    """Measure Django's password check per second against argon2-cffi's verify (the floor)."""
    django.setup()
    from accounts.hashers import Argon2idOWASPHasher

    hasher = Argon2idOWASPHasher()
    encoded = make_password(PASSWORD, hasher="argon2")
    bare = argon2.PasswordHasher(
        time_cost=hasher.time_cost, memory_cost=hasher.memory_cost, parallelism=hasher.parallelism
    )
    raw = bare.hash(PASSWORD)
    ours = rate(lambda: check_password(PASSWORD, encoded))
    floor = rate(lambda: bare.verify(raw, PASSWORD))
    return [Figure("password check (Argon2id m=19 MiB t=2 p=1), per second", "/s", ours, floor)]
