"""Template filters for the verification panels on candidate pages."""

from typing import Any

from django import template

register = template.Library()


@register.filter
def for_entry(grouped: dict[int, list[Any]] | None, entry: Any) -> list[Any]:
    """Return the rows of ``grouped`` (``verifications_by_entry``) that belong to ``entry``."""
    if not grouped or entry is None:
        return []
    return grouped.get(entry.pk, [])
