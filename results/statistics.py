"""Public grade statistics (docs/domain.md §15: candidates ask how many get each grade each year).

Cells under ``SMALL_CELL`` are suppressed — shown as "fewer than 10" and left out of the chart — so that no
figure can point at a few identifiable people (a centre's only candidate in a year, say).
"""

from dataclasses import dataclass

from django.utils.html import escape

from .selectors import GradeCount

SMALL_CELL = 10


@dataclass(frozen=True)
class StatisticsRow:
    """One line of the public table: a result with its count, or None where the cell is suppressed."""

    grade: str
    cefr_level: str
    count: int | None


@dataclass(frozen=True)
class StatisticsTable:
    exam_code: str
    exam_name: str
    year: int
    rows: tuple[StatisticsRow, ...]
    total: int | None


def statistics_tables(counts: list[GradeCount]) -> list[StatisticsTable]:
    """Group the counts per exam and year, suppressing small cells (and the total if any cell is hidden)."""
    grouped: dict[tuple[str, int], list[GradeCount]] = {}
    names: dict[str, str] = {}
    for count in counts:
        grouped.setdefault((count.exam_code, count.year), []).append(count)
        names[count.exam_code] = count.exam_name
    tables = []
    for (code, year), items in grouped.items():
        rows = tuple(StatisticsRow(c.grade, c.cefr_level, c.count if c.count >= SMALL_CELL else None) for c in items)
        # A total next to hidden cells would let the hidden ones be worked out by subtraction.
        total = sum(c.count for c in items) if all(r.count is not None for r in rows) else None
        tables.append(StatisticsTable(code, names[code], year, rows, total))
    return tables


def statistics_chart_svg(table: StatisticsTable, *, title: str, suppressed_label: str) -> str:
    """Return a horizontal bar chart (SVG, escaped text, role img) of one table's visible counts."""
    shown = [r for r in table.rows if r.count is not None]
    top = max((r.count or 0 for r in shown), default=1)
    row_height, label_width, width = 28, 170, 440
    height = row_height * max(len(table.rows), 1) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" class="stats-chart">',
        f"<title>{escape(title)}</title>",
        "<desc>"
        + escape(", ".join(f"{r.grade}: {r.count if r.count is not None else suppressed_label}" for r in table.rows))
        + "</desc>",
    ]
    for index, row in enumerate(table.rows):
        y = 5 + index * row_height
        label = f"{row.grade} ({row.cefr_level})" if row.cefr_level else row.grade
        parts.append(f'<text x="0" y="{y + 18}" font-size="13" fill="#1b1b1b">{escape(label)}</text>')
        if row.count is None:
            parts.append(
                f'<text x="{label_width}" y="{y + 18}" font-size="13" fill="#4a4a4a">{escape(suppressed_label)}</text>'
            )
            continue
        bar = max(2, round((width - label_width - 60) * row.count / top))
        parts.append(f'<rect x="{label_width}" y="{y + 4}" width="{bar}" height="18" fill="#0b3d6e"/>')
        parts.append(
            f'<text x="{label_width + bar + 6}" y="{y + 18}" font-size="13" fill="#1b1b1b">{row.count}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
