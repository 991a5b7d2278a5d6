"""Refusals a person reads: a rule's code and its values, put into words in the reader's language when shown.

A service names each of its refusals once, as a ``Rule``: a code, the English message marked for translation, and
which of its values are dates. ``rule.refusal(**values)`` is a ``Refusal``. A service raises it
(``refusal.error()``: a ``ValidationError`` in the language of the request) or keeps it on a row
(``refusal.code`` and ``refusal.values``, plain JSON with dates as ISO text); the page puts a kept one into words
with ``refusal_text``, in the page's language, its dates in that language's format. The audit trail keeps the
English (``refusal.english()``). Used by the post-results services (docs/domain.md §17 'Post-results services'):
enquiries about results, amended and duplicate certificates, certifying statements.
"""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.formats import date_format
from django.utils.functional import Promise

Value = str | int

# Every rule by its code: a kept refusal is put into words through its code, so a code is never used twice.
_RULES: dict[str, "Rule"] = {}


@dataclass(frozen=True)
class Refusal:
    """One refusal: the code of its rule and its values (dates as ISO text), as raised or kept on a row."""

    code: str
    values: dict[str, Value] = field(default_factory=dict)

    def text(self) -> str:
        """Return the refusal in the active language (the page's)."""
        return refusal_text(self.code, self.values)

    def english(self) -> str:
        """Return the refusal in English, as the audit trail keeps it."""
        with translation.override("en"):
            return self.text()

    def error(self) -> ValidationError:
        """Return the ``ValidationError`` that shows the refusal on a form, in the active language."""
        return ValidationError(self.text(), code=self.code)

    def __str__(self) -> str:
        return self.text()


class Rule:
    """A rule that refuses: its code, its English message (``gettext_lazy``) and which of its values are dates."""

    def __init__(self, code: str, message: Promise | str, *, dates: tuple[str, ...] = ()) -> None:
        if code in _RULES:
            raise ValueError(f"refusal code {code!r} is already a rule")
        self.code, self.message, self.dates = code, message, dates
        _RULES[code] = self

    def refusal(self, **values: Value | dt.date) -> Refusal:
        """Return this rule's refusal with ``values`` (each date named in ``dates`` is kept as ISO text)."""
        kept = {name: value.isoformat() if isinstance(value, dt.date) else value for name, value in values.items()}
        return Refusal(code=self.code, values=kept)

    def error(self, **values: Value | dt.date) -> ValidationError:
        """Return the ``ValidationError`` of this rule's refusal with ``values`` (``Refusal.error``)."""
        return self.refusal(**values).error()

    def text(self, values: Mapping[str, Value]) -> str:
        """Return the message with ``values`` in the active language, each date in that language's format."""
        shown: dict[str, object] = dict(values)
        for name in self.dates:
            if isinstance(shown.get(name), str):
                shown[name] = date_format(dt.date.fromisoformat(str(shown[name])))
        return str(self.message) % shown if shown else str(self.message)

    def __repr__(self) -> str:
        return f"Rule({self.code!r})"


def refusal_text(code: str, values: Mapping[str, Value] | None = None) -> str:
    """Return the refusal of rule ``code`` with ``values`` in the active language; "" for no code or an unknown one.

    A row kept before its refusals had codes, or refused in a person's own words (the board's), has no code: the
    caller shows its stored text instead.
    """
    rule = _RULES.get(code) if code else None
    return rule.text(values or {}) if rule is not None else ""


def refusal_fields(refusal: Refusal | None) -> dict[str, object]:
    """Return what a row keeps of ``refusal``: ``refusal`` in English (for the board and the history),
    ``refusal_code`` and ``refusal_values`` (what a page puts into words in its language); all empty for None."""
    if refusal is None:
        return {"refusal": "", "refusal_code": "", "refusal_values": {}}
    return {"refusal": refusal.english(), "refusal_code": refusal.code, "refusal_values": dict(refusal.values)}
