"""Fixtures of the candidate area's tests, shared with the domain apps' tests they came from."""

from certificates.tests.conftest import fake_pdf  # noqa: F401 - a fixture
