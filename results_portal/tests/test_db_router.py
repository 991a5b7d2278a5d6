"""results_portal.db_router: the candidates' result pages read from the replica when there is one; nothing else."""

from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.db import router
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from accounts.models import User
from candidates.models import CandidateAccount
from centres.models import Entry
from results.models import Result
from results_portal.db_router import ReplicaReadsMiddleware

REPLICA = {"replica": {"ENGINE": "django.db.backends.postgresql", "NAME": "replica"}}


def _reads_during(method: str, path: str, model: Any) -> tuple[str, str]:
    """Return where the router sends a read and a write of ``model`` while serving this request."""
    seen: dict[str, str] = {}

    def view(request: HttpRequest) -> HttpResponse:
        seen["read"] = router.db_for_read(model)
        seen["write"] = router.db_for_write(model)
        return HttpResponse()

    ReplicaReadsMiddleware(view)(RequestFactory().generic(method, path))
    return seen["read"], seen["write"]


@pytest.mark.parametrize("path", ["/results/", "/results/2f0c5d1e-0000-4000-8000-000000000000/", "/es/results/"])
@pytest.mark.parametrize("model", [Entry, CandidateAccount])
def test_result_page_reads_go_to_the_replica_and_writes_to_the_primary(path: str, model: Any) -> None:
    with mock.patch.dict(settings.DATABASES, REPLICA):
        assert _reads_during("GET", path, model) == ("replica", "default")


@pytest.mark.parametrize(
    ("method", "path", "model"),
    [
        ("POST", "/results/login/", Result),  # a form post, whatever the path
        ("GET", "/centre/", Result),  # the centre area
        ("GET", "/api/v1/verifications", Entry),
        ("GET", "/admin/results/result/", Result),
        ("GET", "/results/", User),  # the logged-in user and the session check: always the primary
        ("GET", "/results/2f0c5d1e-0000-4000-8000-000000000000/", Result),  # visibility: always the primary
    ],
)
def test_everything_else_reads_from_the_primary(method: str, path: str, model: Any) -> None:
    with mock.patch.dict(settings.DATABASES, REPLICA):
        assert _reads_during(method, path, model) == ("default", "default")


def test_without_a_replica_everything_is_the_primary() -> None:
    assert "replica" not in settings.DATABASES
    assert _reads_during("GET", "/results/", Result) == ("default", "default")


def test_outside_a_request_reads_are_the_primarys() -> None:
    with mock.patch.dict(settings.DATABASES, REPLICA):
        assert router.db_for_read(Result) == "default"
