"""Names a spreadsheet would run as a formula, and the cell every CSV the portal writes must hold for each.

Each case is (the value put into the data, the cell read back from the file with Python's ``csv`` module).
"""

import pytest

BOM_BYTES = b"\xef\xbb\xbf"

FORMULA_CELLS = [
    pytest.param('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")', id="equals"),
    pytest.param("+1", "'+1", id="plus"),
    pytest.param("-2+3", "'-2+3", id="minus"),
    pytest.param("@SUM(A1)", "'@SUM(A1)", id="at"),
    pytest.param("\tx", "'\tx", id="tab"),
    pytest.param("\rx", "'\rx", id="carriage-return"),
]
