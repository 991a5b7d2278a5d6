"""An audience of many entries (the release job's emails) is matched with one array: the same results as ``IN``."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from centres.models import Entry
from centres.tests.factories import EntryFactory
from results import selectors
from results.models import Result
from results.selectors import MANY_ENTRIES, Audience, results_visible
from results_portal.lookups import int_array

from .factories import result_for

pytestmark = pytest.mark.django_db


def test_many_entries_see_what_in_would_show_them(monkeypatch: pytest.MonkeyPatch) -> None:
    now = timezone.now()
    visible = result_for(EntryFactory(), released_at=now - dt.timedelta(minutes=1))
    embargoed = result_for(EntryFactory(), released_at=now + dt.timedelta(minutes=1))
    held = result_for(EntryFactory(), released_at=now - dt.timedelta(minutes=1), status=Result.Status.HELD)
    withdrawn = result_for(EntryFactory(), released_at=now - dt.timedelta(minutes=1))
    Entry.objects.filter(pk=withdrawn.entry_id).update(status=Entry.Status.WITHDRAWN)
    someone_else = result_for(EntryFactory(), released_at=now - dt.timedelta(minutes=1))
    mine = [r.entry_id for r in (visible, embargoed, held, withdrawn)]
    # Padded past MANY_ENTRIES with ids no entry has.
    entry_ids = tuple(mine + list(range(10**9, 10**9 + MANY_ENTRIES)))

    with CaptureQueriesContext(connection) as many:
        as_array = set(results_visible(audience=Audience(entry_ids=entry_ids), now=now).values_list("pk", flat=True))
    monkeypatch.setattr(selectors, "MANY_ENTRIES", len(entry_ids))
    with CaptureQueriesContext(connection) as few:
        as_in = set(results_visible(audience=Audience(entry_ids=entry_ids), now=now).values_list("pk", flat=True))

    assert as_array == as_in == {visible.pk}
    assert someone_else.pk not in as_array
    assert "= ANY(" in many.captured_queries[0]["sql"] and " IN (" in few.captured_queries[0]["sql"]


def test_int_array_is_the_text_of_an_array_only_for_ints() -> None:
    assert int_array([3, 1, 2]) == "{3,1,2}"
    assert int_array([]) == "{}"
    assert int_array([1, True]) == [1, True]
    assert int_array(["a", "b"]) == ["a", "b"]
