import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_converter_page_converts_an_old_score(client: Client) -> None:
    response = client.get("/tools/score-converter/", {"exam": "FCE", "score": "80"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "<strong>180</strong>" in html
    assert "80–100" in html and "180–190" in html


def test_converter_page_explains_a_score_with_no_conversion(client: Client) -> None:
    response = client.get("/tools/score-converter/", {"exam": "CPE", "score": "30"})

    assert "below the lowest band that converts" in response.content.decode()


def test_converter_page_names_the_bad_field(client: Client) -> None:
    response = client.get("/tools/score-converter/", {"exam": "FCE", "score": "130"})

    html = response.content.decode()
    assert response.status_code == 200
    assert 'aria-invalid="true"' in html
    assert "less than or equal to 100" in html


def test_converter_page_without_input_shows_the_form_and_a_table(client: Client) -> None:
    response = client.get("/tools/score-converter/")

    html = response.content.decode()
    assert '<label for="id_score">Standardised score</label>' in html
    assert "Conversion table" in html
