"""The centre staff command line: ``python -m grading explain | convert | ums``."""

import pytest

from grading.__main__ import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Return the exit status, stdout and stderr of one command line run."""
    try:
        status = main(list(argv))
    except SystemExit as stop:
        status = stop.code if isinstance(stop.code, int) else 1
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_explain_with_scores_in_skill_order(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "explain", "FCE", "176", "181", "169", "172", "180")
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[:5] == [
        "B2 First (FCE)",
        "Overall score: 176",
        "Result:        Grade B",
        "CEFR level:    B2",
        "Certificate:   yes",
    ]
    assert "  Use of English  181" in lines
    assert "  - Overall score = (176 + 181 + 169 + 172 + 180) / 5 = 175.6, rounded to 176" in lines
    assert "  - 176 is in 173–179: Grade B, CEFR B2" in lines


def test_explain_with_named_scores(capsys: pytest.CaptureFixture[str]) -> None:
    # A 2019 Key sitting: three papers, Reading and Writing counted twice (2 × 141 + 138 + 139) / 4 = 139.75 → 140.
    status, out, _ = run(
        capsys, "explain", "--date", "2019-12-31", "ket", "speaking=139", "Reading-and-Writing=141", "Listening=138"
    )
    assert status == 0
    assert "Overall score: 140" in out
    assert "Result:        Pass with Distinction" in out
    assert "CEFR level:    B1" in out
    assert "Extended certification: Pass with Distinction is certified at B1" in out


def test_explain_below_the_reported_range(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "explain", "CAE", "120", "120", "120", "120", "120")
    assert status == 0
    assert "Overall score: below 142" in out
    assert "Result:        No result" in out
    assert "CEFR level:    none" in out
    assert "Certificate:   no" in out


def test_convert(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "convert", "FCE", "78")
    assert status == 0
    assert out.splitlines()[0] == "B2 First (FCE) standardised score 78 → Cambridge English Scale 178"


def test_convert_without_conversion(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "convert", "CPE", "40")
    assert status == 0
    assert out == "C2 Proficiency (CPE) standardised score 40: no conversion: below the lowest converted band\n"


def test_ums(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--raw", "47", "--raw-boundaries", "20,30,40", "--raw-max", "60", "--ums-boundaries", "40,56,72"]
    status, out, _ = run(capsys, "ums", *argv, "--ums-max", "90")
    assert status == 0
    assert out == "Raw mark 47 out of 60 → UMS 78 out of 90\nUnit grade: distinction\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["explain", "FCE", "176", "181"], "FCE needs 5 scores in this order: reading, use_of_english"),
        (["explain", "IELTS", "7"], "unknown exam code 'IELTS'"),
        (
            ["explain", "--date", "2019-06-01", "KET", "140", "140", "x"],
            "speaking score must be a whole number, got 'x'",
        ),
        (
            ["explain", "--date", "2019-06-01", "KET", "reading=140", "140", "140", "140"],
            "give every score as skill=score, or none",
        ),
        (
            ["explain", "--date", "2019-06-01", "KET", "reading=140", "reading=141", "listening=140", "speaking=140"],
            "score for skill 'reading' is given twice",
        ),
        (
            ["explain", "--date", "2019-06-01", "KET", "reading=140", "writing=140", "listening=140", "speech=140"],
            "missing score for skill",
        ),
        (
            ["explain", "--date", "2019-06-01", "KET", "300", "140", "140"],
            "reading_and_writing score 300 is outside the plausible range",
        ),
        (["convert", "FCE", "101"], "standardised score 101 must be between 0 and 100"),
        (["convert", "FCE", "seventy"], "expected a whole number, got 'seventy'"),
        (["convert", "PET", "70"], "no score converter for exam code 'PET'"),
        (
            ["ums", "--raw", "70", "--raw-boundaries", "20,30,40", "--raw-max", "60", "--ums-boundaries", "40,56,72"],
            "the following arguments are required: --ums-max",
        ),
        (
            ["ums", "--raw", "7", "--raw-boundaries", "20;30", "--raw-max", "60"],
            "expected whole numbers separated by commas",
        ),
        (
            [
                "ums",
                "--raw",
                "70",
                "--raw-boundaries",
                "20,30,40",
                "--raw-max",
                "60",
                "--ums-boundaries",
                "40,56,72",
                "--ums-max",
                "90",
            ],
            "raw mark 70 must be between 0 and the raw maximum 60",
        ),
        ([], "the following arguments are required: COMMAND"),
        (["grade"], "invalid choice: 'grade'"),
    ],
)
def test_bad_input_exits_2_with_a_message(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    status, out, err = run(capsys, *argv)
    assert status == 2
    assert out == ""
    assert message in err


@pytest.mark.parametrize("command", [[], ["explain"], ["convert"], ["ums"]])
def test_help(capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    status, out, _ = run(capsys, *command, "--help")
    assert status == 0
    assert out.startswith("usage: python -m grading")


def test_explain_key_from_2020_weights_reading_and_writing(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["explain", "--date", "2020-03-14", "KET", "reading_and_writing=140", "listening=141", "speaking=141"]
    status, out, _ = run(capsys, *argv)
    assert status == 0
    assert "  - Overall score = (2 × 140 + 141 + 141) / 4 = 140.5, rounded up to 141 (halves round up)" in out
    assert "Result:        Grade A" in out
