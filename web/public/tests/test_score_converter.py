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


def test_converter_page_converts_an_old_key_score_with_its_own_thresholds(client: Client) -> None:
    # The old A2 Key statement: Pass with Merit 85–89, mapped onto 133–139 (docs/domain.md §7.2).
    response = client.get("/tools/score-converter/", {"exam": "KET", "score": "88"})

    html = response.content.decode()
    assert "<strong>138</strong>" in html
    assert "85–89" in html and "133–139" in html and "Pass with Distinction" in html
    assert '<option value="KET" selected>A2 Key</option>' in html
