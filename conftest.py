"""Fixtures shared by every app's tests."""

from collections.abc import Iterator

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _clean_cache() -> Iterator[None]:
    """Start every test with an empty cache: throttles and cached pages must not leak between tests."""
    cache.clear()
    yield
