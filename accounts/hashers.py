"""Argon2id tuned to the OWASP minimum (19 MiB memory, 2 iterations, 1 lane), one hash per core at a time.

Django's default Argon2 parameters (100 MiB, 8 lanes) make a results-day login cost hundreds of
milliseconds on a 2-core machine; OWASP's minimum keeps Argon2id's resistance to GPU cracking at tens of
milliseconds per login. The algorithm name stays ``argon2`` so hashes made with other parameters are
still verified and are re-hashed with these on the next successful login (``must_update``).

Every hash runs in one of the machine's hash slots (``accounts.hash_slots``): more hashes at once than cores
only makes each slower.
"""

from django.contrib.auth.hashers import Argon2PasswordHasher

from .hash_slots import hash_slot


class Argon2idOWASPHasher(Argon2PasswordHasher):
    """Argon2id with OWASP's minimum parameters: m=19 MiB, t=2, p=1."""

    time_cost = 2
    memory_cost = 19 * 1024
    parallelism = 1

    def encode(self, password: str, salt: str) -> str:
        """Return the hash of ``password``, made in one of the machine's hash slots."""
        with hash_slot():
            return super().encode(password, salt)

    def verify(self, password: str, encoded: str) -> bool:
        """Return whether ``password`` matches ``encoded``, checked in one of the machine's hash slots."""
        with hash_slot():
            return super().verify(password, encoded)
