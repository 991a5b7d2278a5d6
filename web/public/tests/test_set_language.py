"""The language switcher sends the visitor back to the same page in the chosen language, from any language."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

PAGES = {
    "en": ["/", "/results/login/", "/centre/login/", "/verify/", "/statistics/", "/tools/score-converter/"],
    "es": [
        "/es/",
        "/es/results/login/",
        "/es/centre/login/",
        "/es/verify/",
        "/es/statistics/",
        "/es/tools/score-converter/",
    ],
    "zh-hans": [
        "/zh-hans/",
        "/zh-hans/results/login/",
        "/zh-hans/centre/login/",
        "/zh-hans/verify/",
        "/zh-hans/statistics/",
        "/zh-hans/tools/score-converter/",
    ],
}
DIRECTIONS = [(source, target) for source in PAGES for target in PAGES if source != target]


@pytest.mark.parametrize(("source", "target"), DIRECTIONS)
@pytest.mark.parametrize("cookie", [None, "en", "es", "zh-hans"])
def test_every_page_switches_in_every_direction(client: Client, source: str, target: str, cookie: str | None) -> None:
    if cookie:
        client.cookies["django_language"] = cookie
    for page, expected in zip(PAGES[source], PAGES[target], strict=True):
        response = client.post("/i18n/setlang/", {"language": target, "next": page})

        assert response.status_code == 302, page
        assert response["Location"] == expected, (source, target, cookie)
        assert response.cookies["django_language"].value == target


def test_the_query_string_is_kept(client: Client) -> None:
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/es/results/login/?next=/es/results/"})

    assert response["Location"] == "/results/login/?next=/es/results/"


def test_without_next_the_referring_page_is_translated(client: Client) -> None:
    response = client.post(
        "/i18n/setlang/", {"language": "zh-hans"}, headers={"referer": "http://testserver/es/verify/"}
    )

    assert response["Location"] == "http://testserver/zh-hans/verify/"


def test_a_next_on_another_site_goes_home(client: Client) -> None:
    response = client.post("/i18n/setlang/", {"language": "es", "next": "https://example.com/es/verify/"})

    assert response["Location"] == "/es/"
