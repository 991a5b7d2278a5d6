"""A series is named for people in the page's language; the stored English name is unchanged."""

import datetime as dt

import pytest
from django.utils import translation

from exams.models import ExamSession
from exams.selectors import series_label, series_name


@pytest.mark.parametrize(
    ("language", "name"), [("en", "June 2026"), ("es", "junio de 2026"), ("zh-hans", "2026年6月")]
)
def test_a_series_is_named_in_the_page_language(language: str, name: str) -> None:
    session = ExamSession(date=dt.date(2026, 6, 10))
    with translation.override(language):
        assert series_name(session) == name
        assert series_label(session) == "June 2026"  # the name stored in unitised outcomes stays English
