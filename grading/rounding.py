"""Exact rounding shared by every grading rule (docs/decisions/0002-grading-rules.md)."""

import math
from decimal import Decimal
from fractions import Fraction


def round_half_up(value: Fraction) -> int:
    """Return ``value`` rounded to the nearest whole number, halves rounding up (towards +infinity).

    Rule: docs/domain.md §5.3 "rounded to the nearest whole number"; exact halves go up so that a candidate on
    x.5 is never rounded down. ``Fraction`` keeps the decision exact (no binary floating point).
    """
    return math.floor(value + Fraction(1, 2))


def ratio_round_half_up(numerator: int, denominator: int) -> int:
    """Return ``numerator / denominator`` rounded as ``round_half_up`` rounds it, in whole numbers only.

    floor(n/d + 1/2) = floor((2n + d) / 2d) for a positive ``d``: the same exact rule, without building a
    ``Fraction`` (an import grades tens of thousands of results at a time).
    """
    if denominator < 1:
        raise ValueError(f"the denominator must be a whole number from 1, got {denominator!r}")
    return (2 * numerator + denominator) // (2 * denominator)


def equals_text(value: Fraction) -> str:
    """Return ``= value`` as an exact decimal when it terminates, else ``≈ value`` to 2 places, for explanations.

    Display only: no grading decision is taken on this text.
    """
    denominator = value.denominator
    for factor in (2, 5):
        while denominator % factor == 0:
            denominator //= factor
    if denominator == 1:
        return f"= {Decimal(value.numerator) / Decimal(value.denominator)}"
    return f"≈ {Decimal(round_half_up(value * 100)).scaleb(-2)}"
