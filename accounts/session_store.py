"""The session engine: Django's ``cached_db`` (the database, read through the cache) without its spare writes.

Django's ``login()`` gives the session a new key (``cycle_key``, against session fixation) by writing an empty
row under a key it first checked to be unused (one SELECT, one INSERT with its own commit), and the response then
writes the session again (an UPDATE with another commit). Here the new key is only chosen: its row is written
once, by the next save, as an INSERT that the key's uniqueness in the table guards (another key is drawn should
it ever collide), so the check is not needed either. A save that would write what the last one wrote (same key,
same data) is skipped, so a view may save the session in its own transaction (the candidate's login writes it
with ``last_login``: one commit) without the response writing it again. ``read_with`` reads the session from
the cache together with other keys (the statement's page: ``results_portal.pages.page_prefetch``), one round trip.
"""

from typing import Any

from django.contrib.sessions.backends import cached_db
from django.contrib.sessions.backends.base import VALID_KEY_CHARS, CreateError
from django.core.cache.backends.base import BaseCache
from django.utils.crypto import get_random_string

# A drawn key of 32 characters out of 36 collides with none in practice; a few draws bound the loop regardless.
_KEY_DRAWS = 5


class SessionStore(cached_db.SessionStore):
    """``cached_db`` whose new key is written by the next save, and whose repeated identical saves write nothing."""

    def __init__(self, session_key: str | None = None) -> None:
        super().__init__(session_key)
        self._key_unwritten = False
        self._written: tuple[str, bytes] | None = None

    def cycle_key(self) -> None:
        """Keep the data under a new key, which the next save writes (Django writes it at once, then again)."""
        data = self._session  # type: ignore[attr-defined]  # SessionBase's, not in the stubs
        old = self.session_key
        self._session_key = get_random_string(32, VALID_KEY_CHARS)
        self._key_unwritten = True
        self._session_cache = data
        self.modified = True
        if old:
            self.delete(old)

    def save(self, must_create: bool = False) -> None:
        """Write the session (an INSERT for a key ``cycle_key`` chose), unless it is what was last written."""
        if self._key_unwritten:
            must_create = True
        elif not must_create and self._written is not None and self._written == self._state_now():
            return
        for _draw in range(_KEY_DRAWS):
            try:
                super().save(must_create=must_create)
            except CreateError:
                if not self._key_unwritten:
                    raise
                self._session_key = get_random_string(32, VALID_KEY_CHARS)  # taken: draw another
                continue
            break
        else:
            raise CreateError(f"no unused session key in {_KEY_DRAWS} draws")
        self._key_unwritten = False
        self._written = self._state_now()

    def _state_now(self) -> tuple[str, bytes] | None:
        """Return the key and the serialised data (so that a value changed in place counts as a change)."""
        if self.session_key is None:
            return None
        return self.session_key, self.serializer().dumps(self._session)  # type: ignore[attr-defined]

    def read_with(self, cache: BaseCache, keys: list[str]) -> dict[str, Any]:
        """Return what ``cache`` holds under ``keys``, reading this session with them (one round trip) when the
        session lives in that cache and has not been read yet; otherwise the session is left to be read as usual.

        What the session's key finds is taken as ``load()`` would take it; a miss is left to ``load()`` (the
        database), so nothing changes but the number of round trips.
        """
        own = self._cache  # type: ignore[attr-defined]  # cached_db's, not in the stubs
        if self.session_key is None or hasattr(self, "_session_cache") or cache is not own:
            return cache.get_many(keys)
        try:
            found = cache.get_many([self.cache_key, *keys])
        except Exception:  # noqa: BLE001 - as load() takes any failure of the cache: the session from the database
            return {}
        data = found.pop(self.cache_key, None)
        if isinstance(data, dict):
            self._session_cache = data
            self.accessed = True
        return found

    def delete(self, session_key: str | None = None) -> None:
        """Delete the session (this one when no key is given); what was written is forgotten with it."""
        super().delete(session_key)
        if session_key is None or session_key == self.session_key:
            self._written = None
