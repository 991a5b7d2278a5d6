"""The table every benchmark reports into, and a timer."""

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    """One line of the table: our figure, the floor measured in the same run, and which way is better."""

    name: str
    unit: str
    ours: float
    floor: float
    higher_is_better: bool = True

    @property
    def ratio(self) -> float:
        """Return ours ÷ floor for rates (higher is better) and floor ÷ ours for times, so 1.0 is the floor."""
        if self.higher_is_better:
            return self.ours / self.floor
        return self.floor / self.ours


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


def table(figures: list[Figure]) -> str:
    """Return the figures as a Markdown table: figure, ours, floor, ratio."""
    lines = ["| figure | ours | floor | ratio |", "|---|---|---|---|"]
    for f in figures:
        lines.append(f"| {f.name} | {f.ours:,.1f} {f.unit} | {f.floor:,.1f} {f.unit} | {f.ratio:.2f} |")
    return "\n".join(lines)
