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
