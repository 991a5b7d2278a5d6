"""The one CSV writer: formula cells neutralised, numbers left as numbers, a byte-order mark first."""

import csv
import io
from decimal import Decimal

import pytest

from results_portal.downloads import csv_file_response, csv_response, csv_text

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


def test_a_download_starts_with_one_byte_order_mark_and_is_never_cached() -> None:
    response = csv_response(header=["name"], rows=[["Ana López"]], filename="x.csv")
    stored_before_the_mark = csv_file_response(text="name\r\nAna\r\n", filename="old.csv")

    assert response.content == BOM_BYTES + "name\r\nAna López\r\n".encode()
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'
    assert response["Cache-Control"] == "no-store"
    assert stored_before_the_mark.content == BOM_BYTES + b"name\r\nAna\r\n"
