"""The one CSV reader of every import: its limits (bytes, lines, values on a line), text that is not CSV (NUL,
other control characters, invalid UTF-8) and the capped list of problems ("…and N more problems")."""

import gc
import io
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from results_portal.csvimport import (
    CsvLimits,
    ImportRejected,
    Problems,
    RowError,
    cycle_collector_paused,
    error_text,
    path_read,
    read_records,
    stream_read,
    text_decode,
    upload_limits,
)

ROOT = Path(__file__).resolve().parents[2]
SMALL = CsvLimits(max_bytes=1000, max_lines=3, max_columns=4)
COLUMNS = ("a", "b")


def rejected_messages(call: Any) -> list[str]:
    with pytest.raises(ImportRejected) as exc_info:
        call()
    return exc_info.value.messages()


# --- Limits -----------------------------------------------------------------------------------------------------
def test_a_file_of_exactly_the_limits_is_read() -> None:
    text = "a,b,,\n1,2\n3,4\n5,6\n"

    records = read_records(text=text, columns=COLUMNS, limits=SMALL)

    assert [record.values for record in records] == [{"a": "1", "b": "2"}, {"a": "3", "b": "4"}, {"a": "5", "b": "6"}]


def test_a_file_over_the_byte_limit_is_refused_before_it_is_decoded() -> None:
    data = b"a,b\n" + b"1,2\n" * 249  # 1000 bytes: the limit
    assert len(data) == 1000

    assert text_decode(data, limits=SMALL).startswith("a,b\n")
    assert rejected_messages(lambda: text_decode(data + b"\xff", limits=SMALL)) == [
        "the file is larger than 1000\xa0bytes: split it into smaller files"
    ]


def test_an_upload_whose_size_is_over_the_limit_is_not_read() -> None:
    stream = io.BytesIO(b"a,b\n1,2\n")

    messages = rejected_messages(lambda: stream_read(stream, limits=SMALL, size=1001))

    assert messages == ["the file is larger than 1000\xa0bytes: split it into smaller files"]
    assert stream.tell() == 0


def test_a_stream_longer_than_it_said_is_read_only_to_one_byte_past_the_limit() -> None:
    stream = io.BytesIO(b"a,b\n" + b"1,2\n" * 10_000)

    messages = rejected_messages(lambda: stream_read(stream, limits=SMALL, size=10))

    assert messages == ["the file is larger than 1000\xa0bytes: split it into smaller files"]
    assert stream.tell() == 1001


def test_a_text_given_directly_over_the_byte_limit_is_refused() -> None:
    text = "a,b\n" + "1,2\n" * 300

    assert rejected_messages(lambda: read_records(text=text, columns=COLUMNS, limits=SMALL)) == [
        "the file is larger than 1000\xa0bytes: split it into smaller files"
    ]


def test_the_line_limit_stops_reading_at_the_first_line_past_it() -> None:
    # Line 6 cannot be read as CSV: the reader stopped at line 5, the first past the limit, before it.
    text = 'a,b\n1,2\n3,4\n5,6\n7,8\n"9"x,"\n'

    assert rejected_messages(lambda: read_records(text=text, columns=COLUMNS, limits=SMALL)) == [
        "line 5: the file has more than 3 lines below the header: split it into smaller files"
    ]


def test_blank_lines_count_for_the_line_limit() -> None:
    text = "a,b\n1,2\n\n\n\n"

    assert rejected_messages(lambda: read_records(text=text, columns=COLUMNS, limits=SMALL)) == [
        "line 5: the file has more than 3 lines below the header: split it into smaller files"
    ]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("a,b,c,d,e\n1,2\n", 1),
        ("a,b\n1,2\n1,2,,,\n", 3),
    ],
)
def test_a_line_over_the_column_limit_is_refused_at_once(text: str, line: int) -> None:
    assert rejected_messages(lambda: read_records(text=text, columns=COLUMNS, limits=SMALL)) == [
        f"line {line}: this line has more than 4 values: a file has at most 4 columns"
    ]


def test_a_header_of_many_unknown_columns_gives_one_problem() -> None:
    header = ",".join(f"column{n}" for n in range(200_000))

    messages = rejected_messages(lambda: read_records(text=header + "\n1,2\n", columns=COLUMNS))

    assert messages == ["line 1: this line has more than 50 values: a file has at most 50 columns"]


def test_the_default_limits_come_from_the_settings(settings: Any) -> None:
    settings.CSV_MAX_BYTES, settings.CSV_MAX_LINES, settings.CSV_MAX_COLUMNS = 11, 12, 13

    assert upload_limits() == CsvLimits(max_bytes=11, max_lines=12, max_columns=13)


def test_the_limits_are_read_from_the_environment() -> None:
    names = [
        "CSV_MAX_BYTES",
        "CSV_MAX_LINES",
        "CSV_MAX_COLUMNS",
        "CSV_MAX_PROBLEMS",
        "RESULTS_CSV_MAX_BYTES",
        "RESULTS_CSV_MAX_LINES",
    ]
    probe = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        f"print(json.dumps([getattr(s, name) for name in {names!r}]))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "results_portal.settings.local"}
    env.update({name: str(101 + index) for index, name in enumerate(names)})
    defaults_env = {k: v for k, v in env.items() if k not in names}

    def probe_run(environment: dict[str, str]) -> list[int]:
        out = subprocess.run(  # noqa: S603 - our own interpreter and code
            [sys.executable, "-c", probe], cwd=ROOT, env=environment, capture_output=True, text=True, check=True
        )
        values: list[int] = json.loads(out.stdout.strip().splitlines()[-1])
        return values

    assert probe_run(env) == [101, 102, 103, 104, 105, 106]
    assert probe_run(defaults_env) == [10_485_760, 50_000, 50, 100, 104_857_600, 1_000_000]


# --- Not CSV text -----------------------------------------------------------------------------------------------
def test_a_nul_byte_is_refused_naming_its_line() -> None:
    data = b"a,b\n1,2\n3,\x004\n"

    assert rejected_messages(lambda: text_decode(data, limits=SMALL)) == [
        "line 3: this line holds the control character U+0000, so the file is not CSV text (a spreadsheet's .xlsx "
        "file, for example): from a spreadsheet, save it as 'CSV UTF-8'"
    ]


def test_a_nul_in_a_text_given_directly_is_refused_naming_its_line() -> None:
    messages = rejected_messages(lambda: read_records(text="a,b\n1,\x002\n", columns=COLUMNS))

    assert messages[0].startswith("line 2: this line holds the control character U+0000,")


def test_a_spreadsheet_file_is_not_text() -> None:
    xlsx_start = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00"

    assert rejected_messages(lambda: text_decode(xlsx_start, limits=SMALL))[0].startswith(
        "line 1: this line holds the control character U+0003,"
    )


def test_invalid_utf8_is_refused_naming_its_line() -> None:
    data = "a,b\n1,2\nJosé,3\n".encode("latin-1")

    assert rejected_messages(lambda: text_decode(data, limits=SMALL)) == [
        "line 3: the file is not UTF-8 text from this line on: from a spreadsheet, save it as 'CSV UTF-8'"
    ]


def test_tabs_line_ends_and_a_byte_order_mark_are_text() -> None:
    data = "\ufeffa,b\r\n1,\tJosé\r\n".encode()

    assert text_decode(data, limits=SMALL) == "a,b\r\n1,\tJosé\r\n"


def test_path_read_applies_the_same_checks(tmp_path: Path) -> None:
    path = tmp_path / "file.csv"
    path.write_bytes(b"a,b\n1,\x002\n")

    assert rejected_messages(lambda: path_read(path, limits=SMALL))[0].startswith("line 2: this line holds")


# --- The capped list of problems --------------------------------------------------------------------------------
def test_a_file_with_1000_bad_lines_lists_100_and_counts_900_more() -> None:
    text = "a,b\n" + "1,2,3\n" * 1000

    with pytest.raises(ImportRejected) as exc_info:
        read_records(text=text, columns=COLUMNS)

    rejected = exc_info.value
    assert (rejected.total, rejected.more, len(rejected.errors)) == (1000, 900, 100)
    assert str(rejected) == "1000 problems found; nothing was written."
    messages = rejected.messages()
    assert len(messages) == 101
    assert messages[0] == "line 2: the line has 3 values but the header has 2 columns"
    assert messages[99] == "line 101: the line has 3 values but the header has 2 columns"
    assert messages[100] == "…and 900 more problems"


def test_one_problem_more_is_singular() -> None:
    rejected = ImportRejected(Problems([RowError(line, "", "bad") for line in range(2, 5)], cap=2))

    assert rejected.messages() == ["line 2: bad", "line 3: bad", "…and 1 more problem"]


def test_the_problems_kept_are_those_of_the_lowest_lines_whatever_the_order_found() -> None:
    problems = Problems(cap=3)
    for line in [9, 4, 7, 2, 4, 8, 3]:
        problems.append(RowError(line, "", f"found at {line}"))

    assert [(error.line, error.message) for error in problems.kept()] == [
        (2, "found at 2"),
        (3, "found at 3"),
        (4, "found at 4"),
    ]
    assert (len(problems), problems.more) == (7, 4)


def test_problems_found_on_one_line_keep_their_order() -> None:
    problems = Problems([RowError(5, "b", "second"), RowError(2, "", "first"), RowError(5, "a", "third")], cap=10)

    assert [str(error) for error in problems.kept()] == [
        "line 2: first",
        "line 5, column b: second",
        "line 5, column a: third",
    ]


def test_the_cap_comes_from_the_settings(settings: Any) -> None:
    settings.CSV_MAX_PROBLEMS = 5

    rejected = ImportRejected([RowError(line, "", "bad") for line in range(2, 22)])

    assert (len(rejected.errors), rejected.more) == (5, 15)


def test_values_and_header_names_from_the_file_are_cut_in_messages() -> None:
    long_value = "x" * 5000

    assert error_text("'%(value)s' is bad", value=long_value) == f"'{'x' * 200}…' is bad"
    assert str(RowError(1, "y" * 5000, "unknown")) == f"line 1, column {'y' * 40}…: unknown"


# --- Reading --------------------------------------------------------------------------------------------------------
def test_a_line_the_csv_reader_cannot_read_is_refused_naming_it() -> None:
    text = "a,b\n1,2\n3," + "x" * 200_000 + "\n5,6\n"
    roomy = CsvLimits(max_bytes=1_000_000, max_lines=10, max_columns=4)

    assert rejected_messages(lambda: read_records(text=text, columns=COLUMNS, limits=roomy)) == [
        "line 3: this line cannot be read as CSV (field larger than field limit (131072))"
    ]


def test_optional_columns_left_out_of_the_header_read_as_empty() -> None:
    text = " B ,c,A\n 2 ,x, 1\n\n4,,3,,\n"

    records = read_records(text=text, columns=COLUMNS, optional=("c", "d"), limits=CsvLimits(1000, 10, 6))

    assert [(r.line, r.values) for r in records] == [
        (2, {"b": "2", "c": "x", "a": "1", "d": ""}),
        (4, {"b": "4", "c": "", "a": "3", "d": ""}),
    ]


# --- The cycle collector paused while an import runs ----------------------------------------------------------------
@pytest.fixture
def collector_on() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.enable()
    yield
    if not was_enabled:
        gc.disable()


@pytest.mark.usefixtures("collector_on")
def test_the_collector_runs_again_after_the_block_even_when_it_raises() -> None:
    with pytest.raises(RuntimeError), cycle_collector_paused():
        assert not gc.isenabled()
        raise RuntimeError("an import that fails")

    assert gc.isenabled()


@pytest.mark.usefixtures("collector_on")
def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    with cycle_collector_paused():
        pass

    assert not gc.isenabled()


@pytest.mark.usefixtures("collector_on")
def test_the_collector_runs_again_when_the_last_of_several_blocks_ends_in_any_thread() -> None:
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen: list[bool] = []

    def first() -> None:
        with cycle_collector_paused():
            first_in.set()
            second_in.wait(5)
        first_out.set()

    def second() -> None:
        first_in.wait(5)
        with cycle_collector_paused():
            second_in.set()
            first_out.wait(5)
            seen.append(gc.isenabled())  # the first block has ended, this one has not
        seen.append(gc.isenabled())

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert seen == [False, True]
