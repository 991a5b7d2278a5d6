"""Loading the logged-in user: one query for the user and their candidate account together.

Every candidate page needs both (``candidates.access.candidate_required`` checks the account, the page header
links to the candidate's results), so a session that names this backend gets them from one query with a join
instead of two. It never authenticates anyone: passwords are checked by ``ModelBackend`` (the admin) and by our
own views through the guard, which then call ``login(request, user, backend=USER_WITH_ACCOUNT)``.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache
from typing import Any, cast

from django.apps import apps
from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.auth.backends import BaseBackend
from django.db import connection
from django.db.models import Field, Model
from django.http import HttpRequest

from results_portal.prepared import last_rows, one_query_string

from .models import User

USER_WITH_ACCOUNT = "accounts.backends.UserWithAccountBackend"
# The candidate account of the session's user, written at login (``remember_account``): what a page may ask the
# database about in the user's own round trip (``user_loaded_with``), before the user is loaded.
ACCOUNT_KEY = "_candidate_account_id"


@dataclass
class Alongside:
    """A query to run in the round trip that loads the session's user, and the rows it gave (None: it did not run)."""

    sql: str
    params: list[Any]
    rows: list[tuple[Any, ...]] | None = field(default=None)


_alongside: ContextVar[Alongside | None] = ContextVar("user_loaded_with", default=None)


@contextmanager
def user_loaded_with(query: tuple[str, list[Any]] | None) -> Iterator[Alongside | None]:
    """Within this block, the user loaded by this backend (if one is) comes with ``query``'s rows, read in the same
    round trip to PostgreSQL: ``Alongside.rows`` after the block (None if the user was not loaded here).

    The query must be a read whose rows are worth nothing to anyone but the user it was made for: the caller uses
    them only once it knows the loaded user is that one (``ACCOUNT_KEY`` names the account it was made for).
    """
    if query is None:
        yield None
        return
    alongside = Alongside(sql=query[0], params=list(query[1]))
    token = _alongside.set(alongside)
    try:
        yield alongside
    finally:
        _alongside.reset(token)


class UserWithAccountBackend(BaseBackend):
    """Load a session's user with ``select_related("candidate_account")``; authenticate nobody."""

    def authenticate(self, request: HttpRequest | None, **credentials: Any) -> User | None:
        """Decline: this backend only loads users whose login was decided elsewhere."""
        return None

    def get_user(self, user_id: Any) -> User | None:
        """Return the active user with this id and their candidate account (if any) in one query.

        The same rows as ``User.objects.select_related("candidate_account").filter(pk=user_id)``, from SQL
        written once from the models' fields: this runs on every logged-in request, and compiling that
        queryset cost more CPU than the query. PostgreSQL returns every column as the model holds it (aware
        datetimes); other databases take the ORM's way.
        """
        if connection.vendor != "postgresql":  # SQLite (make run) needs Django's converters: the ORM's query
            user = User._default_manager.select_related("candidate_account").filter(pk=user_id).first()
            return user if user is not None and user.is_active else None
        sql, user_columns, account_columns = _user_with_account_sql()
        alongside = _alongside.get() if one_query_string(connection.alias) else None
        with connection.cursor() as cursor:
            if alongside is None or alongside.rows is not None:
                cursor.execute(sql, [int(user_id)])
                row = cursor.fetchone()
            else:  # both statements as one query string (values bound on the client): one round trip
                cursor.execute(f"{sql}; {alongside.sql}", [int(user_id), *alongside.params])
                row = cursor.fetchone()
                if not cursor.nextset():
                    raise RuntimeError("the query sent with the user's gave no result")
                alongside.rows = last_rows(cursor)
        if row is None:
            return None
        user = User.from_db(connection.alias, user_columns, row[: len(user_columns)])
        if not user.is_active:
            return None
        account_row = row[len(user_columns) :]
        account_model = _account_model()
        account = (
            None if account_row[0] is None else account_model.from_db(connection.alias, account_columns, account_row)
        )
        # What select_related leaves behind: the account cached on the user (None: "has none", no query), and
        # the user on the account.
        user._state.fields_cache["candidate_account"] = account
        if account is not None:
            account._state.fields_cache["user"] = user
        return user


def _account_model() -> type[Model]:
    return apps.get_model("candidates", "CandidateAccount")


def _columns(model: type[Model]) -> list[tuple[str, str]]:
    return [(str(field.column), field.attname) for field in model._meta.concrete_fields]


@cache
def _user_with_account_sql() -> tuple[str, list[str], list[str]]:
    """Return the query and the attribute names of its user and account columns, in order (account id first)."""
    account_model = _account_model()
    quote = connection.ops.quote_name
    user_columns = _columns(User)
    account_pk = str(account_model._meta.pk.attname)  # type: ignore[union-attr]
    account_columns = sorted(_columns(account_model), key=lambda column: column[1] != account_pk)
    user_fk = str(cast("Field[Any, Any]", account_model._meta.get_field("user")).column)
    user_pk = str(User._meta.pk.column)  # type: ignore[union-attr]
    selected = [f"u.{quote(c)}" for c, _ in user_columns] + [f"a.{quote(c)}" for c, _ in account_columns]
    sql = (
        f"SELECT {', '.join(selected)} FROM {quote(User._meta.db_table)} u "  # noqa: S608 - names from the models
        f"LEFT JOIN {quote(account_model._meta.db_table)} a ON a.{quote(user_fk)} = u.{quote(user_pk)} "
        f"WHERE u.{quote(user_pk)} = %s"
    )
    return sql, [a for _, a in user_columns], [a for _, a in account_columns]


def remember_account(sender: object, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """At a login through this backend, write the user's candidate account id in the new session (``ACCOUNT_KEY``):
    saved with the login, it names the account a page's query is made for before the user is loaded.

    ``login()`` has written the backend in the session before it sends the signal (``user.backend`` is set only
    by ``authenticate()`` and the test client's ``force_login``, so it is not what to ask)."""
    if request is None or request.session.get(BACKEND_SESSION_KEY) != USER_WITH_ACCOUNT:
        return
    cached = user._state.fields_cache
    if "candidate_account" in cached:  # loaded with the user: no query
        account_id = None if cached["candidate_account"] is None else cached["candidate_account"].pk
    else:
        account_id = _account_model()._default_manager.filter(user=user).values_list("pk", flat=True).first()
    if account_id is None:
        request.session.pop(ACCOUNT_KEY, None)
    else:
        request.session[ACCOUNT_KEY] = account_id
