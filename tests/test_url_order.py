"""The order of the portal's URL patterns: results day's busiest pages are found before the public pages are tried."""

import uuid

import pytest
from django.urls import resolve
from django.utils import translation

from web.public import urls as public_urls


@pytest.mark.parametrize(
    ("path", "name"),
    [(f"/results/{uuid.UUID(int=1)}/", "results:statement"), ("/results/", "candidates:dashboard")],
)
@pytest.mark.parametrize(("language", "prefix"), [("en", ""), ("es", "/es"), ("zh-hans", "/zh-hans")])
def test_the_candidates_pages_are_resolved_before_any_public_page_is_tried(
    language: str, prefix: str, path: str, name: str
) -> None:
    with translation.override(language):  # as LocaleMiddleware activates it from the prefix
        match = resolve(prefix + path)

    assert match.view_name == name
    tried = {pattern for attempt in match.tried for pattern in attempt}
    assert tried.isdisjoint(public_urls.urlpatterns)


def test_the_public_pages_are_still_found() -> None:
    assert resolve("/").view_name == "home"
    with translation.override("es"):
        assert resolve("/es/help/").view_name == "help"
    assert resolve("/statistics/").view_name == "statistics:index"
