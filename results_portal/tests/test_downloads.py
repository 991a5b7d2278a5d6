"""The one CSV writer: formula cells neutralised, numbers left as numbers, a byte-order mark first."""

import csv
import io
from decimal import Decimal

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.utils.cache import patch_cache_control
from django.utils.http import http_date

from results_portal.downloads import csv_file_response, csv_response, csv_text, download_no_store

from .formula_cells import BOM_BYTES, FORMULA_CELLS


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


@pytest.mark.parametrize(("value", "cell"), FORMULA_CELLS)
def test_text_that_starts_a_formula_is_prefixed_with_a_quote(value: str, cell: str) -> None:
    assert _cells(csv_text(header=["name"], rows=[[value]])) == [["name"], [cell]]


def test_numbers_stay_numbers_and_the_same_value_as_text_is_prefixed() -> None:
    text = csv_text(
        header=["delta", "decimal", "text", "none", "plain"], rows=[[-3, Decimal("-1.5"), "-3", None, "Ana"]]
    )

    assert text == "\ufeffdelta,decimal,text,none,plain\r\n-3,-1.5,'-3,,Ana\r\n"


def test_a_formula_character_inside_a_cell_is_left_alone() -> None:
    assert _cells(csv_text(header=["name"], rows=[["Smith-Jones"], ["a=b"]])) == [["name"], ["Smith-Jones"], ["a=b"]]


def test_a_download_starts_with_one_byte_order_mark() -> None:
    response = csv_response(header=["name"], rows=[["Ana López"]], filename="x.csv")
    stored_before_the_mark = csv_file_response(text="name\r\nAna\r\n", filename="old.csv")

    assert response.content == BOM_BYTES + "name\r\nAna López\r\n".encode()
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'
    assert stored_before_the_mark.content == BOM_BYTES + b"name\r\nAna\r\n"


def test_a_download_view_is_private_no_store_without_validators() -> None:
    @download_no_store
    def cacheable(request: HttpRequest) -> HttpResponse:
        """A view that would let caches keep its file and revalidate it."""
        response = HttpResponse(b"%PDF-", content_type="application/pdf")
        response["Content-Disposition"] = 'attachment; filename="statement.pdf"'
        response["ETag"] = '"v1"'
        response["Last-Modified"] = http_date(0)
        response["Expires"] = http_date(0)
        patch_cache_control(response, public=True, max_age=3600)
        return response

    response = cacheable(RequestFactory().get("/x.pdf", headers={"if-none-match": '"v1"'}))

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert {"ETag", "Last-Modified", "Expires"}.isdisjoint(response.headers)
    assert cacheable.__name__ == "cacheable" and cacheable.download_no_store is True  # type: ignore[attr-defined]
