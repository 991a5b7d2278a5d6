"""Comparing two answers that must not tell two states apart (docs/domain.md §1.2, §8.1).

Two renders of one page differ only by their per-request tokens: Django masks the CSRF token afresh on every
render (and a Content-Security-Policy nonce is new on every response). ``same_but_tokens`` blanks those and
nothing else, so tests can require the rest of two answers to be byte-identical.
"""

import re

_TOKENS = (
    re.compile(rb'(name="csrfmiddlewaretoken" value=")[^"]*(")'),
    re.compile(rb'(nonce=")[^"]*(")'),
)


def same_but_tokens(content: bytes) -> bytes:
    """Return ``content`` with its per-request tokens (CSRF, nonce) blanked."""
    for pattern in _TOKENS:
        content = pattern.sub(rb"\1\2", content)
    return content
