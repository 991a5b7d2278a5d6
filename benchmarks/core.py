"""The table every benchmark reports into, the checks the load and fault scenarios report, and a timer."""

import math
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    """One line of the table: our figure, the floor measured in the same run, and which way is better.

    ``target`` says what the ratio (or the figure itself) must reach, ``met`` whether it did (None: no target);
    ``skipped`` gives the reason a figure could not be measured (ours and floor are then 0).
    """

    name: str
    unit: str
    ours: float
    floor: float
    higher_is_better: bool = True
    target: str = ""
    met: bool | None = None
    skipped: str = ""

    @property
    def ratio(self) -> float:
        """Return ours ÷ floor for rates (higher is better) and floor ÷ ours for times, so 1.0 is the floor."""
        if self.skipped or not self.ours or not self.floor:
            return math.nan
        if self.higher_is_better:
            return self.ours / self.floor
        return self.floor / self.ours

    @classmethod
    def skip(cls, name: str, reason: str) -> "Figure":
        """Return a line saying why this figure was not measured."""
        return cls(name=name, unit="", ours=0.0, floor=0.0, skipped=reason)


@dataclass(frozen=True)
class Check:
    """A pass/fail outcome of a load or fault scenario, with what was observed."""

    name: str
    passed: bool
    detail: str


def rate(action: Callable[[], object], *, seconds: float = 2.0, at_least: int = 5) -> float:
    """Return how many times per second ``action`` runs, measured for about ``seconds``."""
    count = 0
    started = time.perf_counter()
    while True:
        action()
        count += 1
        elapsed = time.perf_counter() - started
        if elapsed >= seconds and count >= at_least:
            return count / elapsed


def _number(value: float, unit: str) -> str:
    digits = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2
    return f"{value:,.{digits}f} {unit}".strip()


def table(figures: list[Figure]) -> str:
    """Return the figures as a Markdown table: figure, ours, floor, ratio (with the target, when there is one).

    A rate's ratio is ours ÷ floor (higher is better); a time's is shown as ours ÷ floor too, marked lower is better.
    """
    lines = ["| figure | ours | floor | ratio |", "|---|---|---|---|"]
    for f in figures:
        if f.skipped:
            lines.append(f"| {f.name} | skipped: {f.skipped} | | |")
            continue
        if f.higher_is_better:
            ratio = f"{f.ratio:.3g}"  # three figures: 0.598 is not shown as the goal's 0.60
        else:  # a time: shown as ours ÷ floor, as its goal is written ("≤ 2 × COPY")
            ratio = f"{f.ours / f.floor:.3g} × the floor (lower is better)"
        if f.target:
            ratio += f" ({'met' if f.met else 'MISSED'}: {f.target})"
        lines.append(f"| {f.name} | {_number(f.ours, f.unit)} | {_number(f.floor, f.unit)} | {ratio} |")
    return "\n".join(lines)


def checks_text(checks: list[Check]) -> str:
    """Return the checks as lines ``PASS|FAIL name: detail``."""
    return "\n".join(f"{'PASS' if c.passed else 'FAIL'} {c.name}: {c.detail}" for c in checks)
