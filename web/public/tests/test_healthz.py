from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client

pytestmark = pytest.mark.django_db

# A real Redis outage (the cache's server stopped, then started again) is tested in
# tests/faults/test_cache_outage.py, against the project's own cache backend.


def test_healthz_reports_ok_when_database_and_cache_answer(client: Client) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "cache": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_names_the_database_when_it_fails(client: Client) -> None:
    with mock.patch("web.public.views.connection.cursor", side_effect=OperationalError("gone")):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"database": "failed", "cache": "ok"}


def test_livez_fails_without_the_database(client: Client) -> None:
    with mock.patch("web.public.views.connection.cursor", side_effect=OperationalError("gone")):
        response = client.get("/livez")

    assert response.status_code == 503


def test_a_server_error_shows_a_plain_page_without_internals(client: Client) -> None:
    from django.template.loader import render_to_string

    html = render_to_string("500.html")

    assert "Sorry, something went wrong" in html and "Traceback" not in html
