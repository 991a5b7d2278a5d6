"""With DEBUG off, errors answer with the portal's own pages (its header, footer and language), never Django's."""

from collections.abc import Iterator

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory, override_settings
from django.urls import get_resolver
from django.utils import translation

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_debug")]


@pytest.fixture
def no_debug() -> Iterator[None]:
    with override_settings(DEBUG=False):
        yield


def _portal_page(html: str, language: str) -> None:
    assert f'<html lang="{language}">' in html
    assert '<header class="site-header">' in html
    assert 'href="/static/css/portal.css"' in html
    assert "<style" not in html and "style=" not in html


@pytest.mark.parametrize(("prefix", "language"), [("", "en"), ("/es", "es"), ("/zh-hans", "zh-hans")])
def test_an_unknown_address_is_the_portal_404_in_its_language(client: Client, prefix: str, language: str) -> None:
    response = client.get(f"{prefix}/results/no-such-page/")

    assert response.status_code == 404
    html = response.content.decode()
    _portal_page(html, language)
    assert f'href="{prefix}/help/"' in html
    assert f'href="{prefix}/"' in html
    if language == "en":
        assert "<h1>Page not found</h1>" in html
        assert "There is no page at this address." in html


def test_a_refused_form_is_the_portal_403(client: Client) -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.post("/es/results/login/", {"username": "SIR000001", "password": "x"})

    assert response.status_code == 403
    html = response.content.decode()
    _portal_page(html, "es")
    assert 'href="/es/help/"' in html
    with translation.override("en"):
        english = Client(enforce_csrf_checks=True).post("/results/login/", {}).content.decode()
    assert "<h1>This form has expired</h1>" in english


@pytest.mark.parametrize("language", ["en", "es", "zh-hans"])
def test_the_project_403_handler_is_the_portal_page(language: str) -> None:
    request = RequestFactory().get("/centre/")
    request.user = AnonymousUser()
    handler = get_resolver().resolve_error_handler(403)

    with translation.override(language):
        response = handler(request, exception=PermissionDenied())  # type: ignore[call-arg]

    assert response.status_code == 403
    html = response.content.decode()
    _portal_page(html, language)
    if language == "en":
        assert "<h1>You cannot see this page</h1>" in html


@pytest.mark.parametrize(("prefix", "language"), [("", "en"), ("/es", "es"), ("/zh-hans", "zh-hans")])
def test_a_crash_is_the_portal_500_in_its_language(
    monkeypatch: pytest.MonkeyPatch, prefix: str, language: str
) -> None:
    def broken(**kwargs: object) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr("web.public.views.grade_statistics", broken)
    client = Client(raise_request_exception=False)

    response = client.get(f"{prefix}/statistics/")

    assert response.status_code == 500
    html = response.content.decode()
    _portal_page(html, language)
    assert f'<a class="brand" href="{prefix}/">' in html
    if language == "en":
        assert "<h1>Sorry, something went wrong</h1>" in html


def test_the_500_page_needs_no_request() -> None:
    handler = get_resolver().resolve_error_handler(500)

    with translation.override("es"):
        response = handler(RequestFactory().get("/es/"))

    assert response.status_code == 500
    _portal_page(response.content.decode(), "es")
