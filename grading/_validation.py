"""Input checks shared by the grading modules."""


def whole_number(*, field: str, value: object) -> int:
    """Return ``value`` if it is an int (bools refused, floats refused), else raise ValueError naming ``field``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{field} must be a whole number, got {value!r}")
    return value
