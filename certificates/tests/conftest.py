"""Fixtures for the documents tests."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import override_settings

SITE_URL = "https://results.example.org"


@pytest.fixture(autouse=True)
def _site_url() -> Iterator[None]:
    with override_settings(SITE_URL=SITE_URL):
        yield


@pytest.fixture
def fake_pdf(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Replace the PDF renderer with a fast fake; return the (kind, name printed) of every render."""
    calls: list[tuple[str, str]] = []

    def render(*, document: Any, facts: Any, replaces: Any, issued_on: Any) -> bytes:
        calls.append((document.kind, facts.name))
        return b"%PDF-1.7 fake " + str(document.uuid).encode()

    monkeypatch.setattr("certificates.services.document_pdf", render)
    return calls
