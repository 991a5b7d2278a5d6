"""Command line for centre staff: explain a scale-score result, convert an old score, work out a unit's UMS.

Examples::

    python -m grading explain FCE 176 181 169 172 180
    python -m grading explain KET reading_and_writing=140 listening=150 speaking=128
    python -m grading explain --date 2019-06-01 PET reading=150 writing=145 listening=160 speaking=148
    python -m grading convert FCE 78
    python -m grading ums --raw 47 --raw-boundaries 20,30,40 --raw-max 60 --ums-boundaries 40,56,72 --ums-max 90

Bad input prints a message and exits with status 2 (argparse's convention for usage errors).
"""

import argparse
import datetime as dt
import sys
from collections.abc import Callable, Sequence

from grading.scale import SCALE_EXAMS, ScaleResult, scale_exam, scale_result
from grading.standardised import CONVERTER_TABLES, convert_standardised
from grading.ums import raw_to_ums, unit_grade


def _whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from None


def _number_list(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected whole numbers separated by commas, got {text!r}") from None


def _scores(*, exam_code: str, on: dt.date, values: Sequence[str]) -> dict[str, int]:
    skills = scale_exam(exam_code, on=on).skills
    named = [value for value in values if "=" in value]
    if named and len(named) != len(values):
        raise ValueError("give every score as skill=score, or none of them")
    if not named:
        if len(values) != len(skills):
            raise ValueError(f"{exam_code.upper()} needs {len(skills)} scores in this order: {', '.join(skills)}")
        return {skill: _score(skill=skill, text=value) for skill, value in zip(skills, values, strict=True)}
    scores: dict[str, int] = {}
    for value in values:
        name, _, text = value.partition("=")
        skill = name.strip().lower().replace("-", "_").replace(" ", "_")
        if skill in scores:
            raise ValueError(f"score for skill {skill!r} is given twice")
        scores[skill] = _score(skill=skill, text=text)
    return scores


def _score(*, skill: str, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{skill} score must be a whole number, got {text!r}") from None


def _statement(result: ScaleResult) -> list[str]:
    width = max(len(component.label) for component in result.components)
    lines = [
        f"{result.exam.name} ({result.exam.code})",
        f"Overall score: {result.overall_display}",
        f"Result:        {result.result}",
        f"CEFR level:    {result.cefr_level or 'none'}",
        f"Certificate:   {'yes' if result.certificate else 'no'}",
        "Skill scores:",
    ]
    lines += [f"  {component.label:<{width}}  {component.display}" for component in result.components]
    lines.append("How this was worked out:")
    lines += [f"  - {line}" for line in result.explanation]
    return lines


def _explain(arguments: argparse.Namespace) -> list[str]:
    scores = _scores(exam_code=arguments.exam, on=arguments.date, values=arguments.scores)
    return _statement(scale_result(exam_code=arguments.exam, on=arguments.date, scores=scores))


def _convert(arguments: argparse.Namespace) -> list[str]:
    conversion = convert_standardised(exam_code=arguments.exam, score=arguments.score)
    exam = SCALE_EXAMS[conversion.exam_code]
    heading = f"{exam.name} ({exam.code}) standardised score {conversion.standardised_score}"
    if conversion.scale_score is None:
        return [f"{heading}: {conversion.explanation}"]
    return [f"{heading} → Cambridge English Scale {conversion.scale_score}", f"  {conversion.explanation}"]


def _ums(arguments: argparse.Namespace) -> list[str]:
    ums = raw_to_ums(
        raw=arguments.raw,
        raw_boundaries=arguments.raw_boundaries,
        raw_max=arguments.raw_max,
        ums_boundaries=arguments.ums_boundaries,
        ums_max=arguments.ums_max,
    )
    grade = unit_grade(ums=ums, ums_boundaries=arguments.ums_boundaries)
    return [
        f"Raw mark {arguments.raw} out of {arguments.raw_max} → UMS {ums} out of {arguments.ums_max}",
        f"Unit grade: {grade}",
    ]


def _parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    raw_text = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="python -m grading",
        description="Work out results the way the Results Portal does (rules: docs/domain.md §5 to §8), and say why.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    explain = commands.add_parser(
        "explain",
        help="explain a Cambridge English Scale result from its skill scores",
        formatter_class=raw_text,
        description=(
            "Work out the overall score, result, CEFR level and certificate from the skill scores,\n"
            "and say which rule gave each. Give the scores in Statement-of-Results order\n"
            "(reading, use_of_english, writing, listening, speaking; use_of_english only for\n"
            "FCE, FCES, CAE and CPE; KET and KETS: reading_and_writing, listening, speaking),\n"
            "or as skill=score in any order. The format is the one in force on --date."
        ),
        epilog=(
            "examples:\n"
            "  python -m grading explain FCE 176 181 169 172 180\n"
            "  python -m grading explain KET reading_and_writing=140 listening=150 speaking=128\n"
            "  python -m grading explain --date 2019-06-01 PET reading=150 writing=145 listening=160 speaking=148"
        ),
    )
    explain.add_argument(
        "--date",
        type=_date,
        default=dt.datetime.now(tz=dt.UTC).date(),
        help="the session date (YYYY-MM-DD) whose format applies; default today",
    )
    explain.add_argument("exam", metavar="EXAM", help=f"exam code: {', '.join(SCALE_EXAMS)}")
    explain.add_argument("scores", metavar="SCORE", nargs="+", help="a skill score, or skill=score")

    convert = commands.add_parser(
        "convert",
        help="convert an old standardised score (out of 100) to the Cambridge English Scale",
        formatter_class=raw_text,
        description="Map an old standardised score linearly onto the same band of the Cambridge English Scale.",
        epilog="example:\n  python -m grading convert FCE 78",
    )
    convert.add_argument("exam", metavar="EXAM", help=f"exam code: {', '.join(CONVERTER_TABLES)}")
    convert.add_argument("score", metavar="SCORE", type=_whole_number, help="standardised score, 0–100")

    ums = commands.add_parser(
        "ums",
        help="convert a unit's raw mark to UMS and give the unit grade",
        formatter_class=raw_text,
        description=(
            "Convert a unit raw mark to the uniform mark scale (linear between boundaries;\n"
            "rounding never promotes a grade) and give the unit grade.\n"
            "Boundaries are listed for pass, merit and distinction, ascending."
        ),
        epilog=(
            "example:\n"
            "  python -m grading ums --raw 47 --raw-boundaries 20,30,40 --raw-max 60 \\\n"
            "      --ums-boundaries 40,56,72 --ums-max 90"
        ),
    )
    ums.add_argument("--raw", type=_whole_number, required=True, help="the unit raw mark")
    ums.add_argument("--raw-boundaries", type=_number_list, required=True, help="raw pass,merit,distinction")
    ums.add_argument("--raw-max", type=_whole_number, required=True, help="the unit's maximum raw mark")
    ums.add_argument("--ums-boundaries", type=_number_list, required=True, help="UMS pass,merit,distinction")
    ums.add_argument("--ums-max", type=_whole_number, required=True, help="the unit's maximum UMS")
    return parser, {"explain": explain, "convert": convert, "ums": ums}


_COMMANDS: dict[str, Callable[[argparse.Namespace], list[str]]] = {
    "explain": _explain,
    "convert": _convert,
    "ums": _ums,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return 0; bad input exits with status 2 and a message on stderr."""
    parser, subparsers = _parser()
    arguments = parser.parse_args(argv)
    try:
        lines = _COMMANDS[arguments.command](arguments)
    except ValueError as error:
        subparsers[arguments.command].error(str(error))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
