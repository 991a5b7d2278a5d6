"""PDFs end to end: rendered by the Celery worker from the documents queues, then served to the candidate."""

import base64
import json
from typing import Any

import pytest
import redis
from django.test import Client

from certificates.models import Document
from certificates.services import URGENT_QUEUE
from certificates.tests.factories import pdf_text
from results.models import Result
from results.tasks import results_release_due_task
from results_portal.celery import app as celery_app
from tests.integration.data import Candidate, candidate_with_result, past_session
from tests.integration.helpers import WorkerProcess

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

DOCUMENTS_QUEUE = "documents"
RENDER_TASK = "certificates.tasks.documents_render"
RENDER_SECONDS = 40


def _stored(candidate: Candidate, *kinds: str) -> list[Document] | None:
    """Return the candidate's current documents of these kinds if every one has its PDF stored, else None."""
    documents = list(
        Document.objects.filter(result=candidate.result, kind__in=kinds, status=Document.Status.CURRENT)
        .exclude(file="")
        .order_by("kind")
    )
    if sorted(d.kind for d in documents) != sorted(kinds):
        return None
    return documents if all(d.file.storage.exists(d.file.name) for d in documents) else None


def _waiting(broker: str, queue: str) -> list[dict[str, Any]]:
    """Return the task messages waiting in ``queue`` on the broker (Redis keeps each queue in a list)."""
    client = redis.Redis.from_url(broker)
    try:
        return [json.loads(raw) for raw in client.lrange(queue, 0, -1)]
    finally:
        client.close()


def _kwargs(message: dict[str, Any]) -> dict[str, Any]:
    _args, kwargs, _embed = json.loads(base64.b64decode(message["body"]))
    return dict(kwargs)


def _consumer(worker: WorkerProcess, *, add: bool) -> None:
    control = celery_app.control.add_consumer if add else celery_app.control.cancel_consumer
    replies = control(DOCUMENTS_QUEUE, destination=[worker.hostname], reply=True, timeout=10)
    assert replies and all("ok" in reply[worker.hostname] for reply in replies), replies


def test_a_release_renders_the_pdfs_through_the_documents_queue(worker: WorkerProcess, broker: str) -> None:
    """The release's render task waits on the "documents" queue; the worker that consumes it renders both PDFs."""
    ana = candidate_with_result(session=past_session(), status=Result.Status.READY)
    _consumer(worker, add=False)
    try:
        results_release_due_task.delay()

        (message,) = worker.wait_until(
            lambda: _waiting(broker, DOCUMENTS_QUEUE),
            timeout=RENDER_SECONDS,
            what='the release queued its render task on the "documents" queue',
        )
        assert message["headers"]["task"] == RENDER_TASK
        assert _kwargs(message) == {"result_ids": [ana.result.pk]}
        assert not Document.objects.filter(result=ana.result).exists(), "nobody renders it before the worker"
    finally:
        _consumer(worker, add=True)

    documents = worker.wait_until(
        lambda: _stored(ana, Document.Kind.STATEMENT, Document.Kind.CERTIFICATE),
        timeout=RENDER_SECONDS,
        what="the statement and the certificate are stored",
    )
    for document in documents:
        with document.file.open("rb") as pdf:
            text = pdf_text(pdf.read())
        assert "Ana López García" in text and ana.entry.candidate_id in text
    assert _waiting(broker, DOCUMENTS_QUEUE) == []


def test_a_statement_download_is_prepared_by_the_worker_then_served(worker: WorkerProcess, broker: str) -> None:
    """A download that finds no PDF says "being prepared" and asks the worker (urgent queue); then it is served."""
    ana = candidate_with_result(session=past_session(), status=Result.Status.RELEASED)
    client = Client()
    client.force_login(ana.account.user)
    url = f"/results/{ana.entry.public_id}/statement.pdf"

    preparing = client.get(url)

    assert preparing.status_code == 202
    assert preparing["Retry-After"] == "15"
    assert "Your PDF is being prepared" in preparing.content.decode()
    worker.wait_until(
        lambda: _stored(ana, Document.Kind.STATEMENT), timeout=RENDER_SECONDS, what="the statement is stored"
    )
    served = client.get(url)
    assert served.status_code == 200
    assert served["Content-Type"] == "application/pdf"
    text = pdf_text(b"".join(served.streaming_content))  # type: ignore[attr-defined]
    assert "Ana López García" in text and ana.entry.candidate_id in text
    assert _waiting(broker, URGENT_QUEUE) == []
