"""Argon2id tuned to the OWASP minimum (19 MiB memory, 2 iterations, 1 lane).

Django's default Argon2 parameters (100 MiB, 8 lanes) make a results-day login cost hundreds of
milliseconds on a 2-core machine; OWASP's minimum keeps Argon2id's resistance to GPU cracking at tens of
milliseconds per login. The algorithm name stays ``argon2`` so hashes made with other parameters are
still verified and are re-hashed with these on the next successful login (``must_update``).
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idOWASPHasher(Argon2PasswordHasher):
    """Argon2id with OWASP's minimum parameters: m=19 MiB, t=2, p=1."""

    time_cost = 2
    memory_cost = 19 * 1024
    parallelism = 1
