"""Public grade statistics (docs/domain.md §15: candidates ask how many get each grade each year).

``statistics_tables`` is the one place that decides what is published, for the page and the CSV alike
(docs/domain.md §15.3): an exam and year with fewer than ``SMALL_CELL`` results shows no breakdown at all; within
an exam and year, a result given to fewer than ``SMALL_CELL`` candidates is never named, but counted in an
"Other results" row together with at least one other result, so that no figure points at a few identifiable
people (a centre's only candidate in a year, say) and no hidden figure can be worked out by subtraction.
"""

from dataclasses import dataclass

from django.utils.html import escape

from .selectors import GradeCount

SMALL_CELL = 10
# How the merged row and the total are named in the CSV (the page names them in the reader's language).
OTHER_RESULTS = "Other results"
TOTAL = "Total"


@dataclass(frozen=True)
class StatisticsRow:
    """One line of the public table: a result with its count, or the merged 'Other results' row."""

    grade: str
    cefr_level: str
    count: int
    other: bool = False


@dataclass(frozen=True)
class StatisticsTable:
    """One exam and year as published. ``suppressed``: fewer than ``SMALL_CELL`` results, so no rows, no total."""

    exam_code: str
    exam_name: str
    year: int
    rows: tuple[StatisticsRow, ...]
    total: int | None

    @property
    def suppressed(self) -> bool:
        return self.total is None


def _published_rows(items: list[GradeCount]) -> tuple[StatisticsRow, ...]:
    """Return the rows of one exam and year whose total is at least ``SMALL_CELL`` (docs/domain.md §15.3)."""
    ordered = sorted(items, key=lambda c: (-c.count, c.grade))
    shown = [c for c in ordered if c.count >= SMALL_CELL]
    merged = [c for c in ordered if c.count < SMALL_CELL]
    # Secondary suppression: a merged row of one result would name it, and one under SMALL_CELL would point at
    # few people; the smallest result still shown joins it until neither is true.
    while merged and shown and (len(merged) < 2 or sum(c.count for c in merged) < SMALL_CELL):
        merged.append(shown.pop())
    rows = [StatisticsRow(c.grade, c.cefr_level, c.count) for c in shown]
    if merged:
        rows.append(StatisticsRow("", "", sum(c.count for c in merged), other=True))
    return tuple(rows)


def statistics_tables(counts: list[GradeCount]) -> list[StatisticsTable]:
    """Return the published tables, one per exam and year (in the order of ``counts``), small cells merged."""
    grouped: dict[tuple[str, int], list[GradeCount]] = {}
    names: dict[str, str] = {}
    for count in counts:
        grouped.setdefault((count.exam_code, count.year), []).append(count)
        names[count.exam_code] = count.exam_name
    tables = []
    for (code, year), items in grouped.items():
        total = sum(c.count for c in items)
        if total < SMALL_CELL:
            tables.append(StatisticsTable(code, names[code], year, (), None))
        else:
            tables.append(StatisticsTable(code, names[code], year, _published_rows(items), total))
    return tables


def statistics_csv_rows(tables: list[StatisticsTable]) -> list[list[object]]:
    """Return the CSV lines of the published tables: the same rows as the page, then a Total line each."""
    lines: list[list[object]] = []
    for table in tables:
        head = [table.exam_code, table.exam_name, table.year]
        for row in table.rows:
            lines.append([*head, OTHER_RESULTS if row.other else row.grade, row.cefr_level, row.count])
        lines.append([*head, TOTAL, "", f"<{SMALL_CELL}" if table.total is None else table.total])
    return lines


def statistics_chart_svg(table: StatisticsTable, *, title: str, other_label: str) -> str:
    """Return a horizontal bar chart (SVG, escaped text, role img) of one published table."""
    top = max((r.count for r in table.rows), default=1)
    row_height, label_width, width = 28, 170, 440
    height = row_height * max(len(table.rows), 1) + 10

    def name(row: StatisticsRow) -> str:
        return other_label if row.other else row.grade

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" class="stats-chart">',
        f"<title>{escape(title)}</title>",
        "<desc>" + escape(", ".join(f"{name(r)}: {r.count}" for r in table.rows)) + "</desc>",
    ]
    for index, row in enumerate(table.rows):
        y = 5 + index * row_height
        label = f"{row.grade} ({row.cefr_level})" if row.cefr_level else name(row)
        parts.append(f'<text x="0" y="{y + 18}" font-size="13" fill="#1b1b1b">{escape(label)}</text>')
        bar = max(2, round((width - label_width - 60) * row.count / top))
        parts.append(f'<rect x="{label_width}" y="{y + 4}" width="{bar}" height="18" fill="#0b3d6e"/>')
        parts.append(
            f'<text x="{label_width + bar + 6}" y="{y + 18}" font-size="13" fill="#1b1b1b">{row.count}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
