"""``field__any=[…]``: ``field = ANY(%s)`` with the values as one array on PostgreSQL, ``IN (…)`` elsewhere.

``field__in`` with thousands of values (the release job's batches of 5 000 results) writes a placeholder per value:
Django prepares each value on its own, and psycopg, binding on the client as Django has it, splits the query text
at every placeholder. In the release job's profile that was half of the job's CPU (6 December 2026: 3.9 of 7.3 s
for 102 000 results, four such queries a batch). One array parameter costs a few milliseconds for 5 000 values.
The values are used as given, so pass the column's own type (ids as ints, keys as strings). A list of ints goes as
the text of a PostgreSQL array (``'{1,2,3}'``, cast by the statement): psycopg's own dumping of a list, in Python,
looked at every value (in the release job's profile, 120 arrays of 5 000 ids took 1.7 s of its 9.7 s of CPU).
"""

from collections.abc import Sequence
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Lookup
from django.db.models.lookups import In
from django.db.models.sql.compiler import SQLCompiler


class AnyOf(Lookup):  # type: ignore[type-arg]
    lookup_name = "any"
    prepare_rhs = False

    def get_prep_lookup(self) -> list[Any]:
        return list(self.rhs)

    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> tuple[str, tuple[Any, ...]]:
        if connection.vendor != "postgresql":
            return In(self.lhs, self.rhs).as_sql(compiler, connection)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        cast = self.lhs.output_field.cast_db_type(connection)
        return f"{lhs} = ANY(%s::{cast}[])", (*lhs_params, int_array(self.rhs))


def int_array(values: Sequence[Any]) -> Any:
    """Return a list of ints as the text of a PostgreSQL array, for a parameter cast to an integer array type.

    Anything else (strings, a bool among the ints) is returned as it is, for psycopg to dump.
    """
    if all(type(value) is int for value in values):
        return "{" + ",".join(map(str, values)) + "}"
    return values


def register() -> None:
    """Make ``__any`` available on every field (called once, from the results app's ``ready``)."""
    Field.register_lookup(AnyOf)
