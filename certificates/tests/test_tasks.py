"""documents_render: idempotent, only visible results, queued after commit in chunks; the sweep catches the rest."""

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone
from pytest_django import DjangoCaptureOnCommitCallbacks

from certificates import services, tasks
from certificates.models import Document
from certificates.tests.factories import released_entry
from results.models import Result

pytestmark = pytest.mark.django_db


class _RolledBack(Exception):
    """Raised to roll a transaction back in a test."""


def _current(result: Result) -> dict[str, Document]:
    return {d.kind: d for d in Document.objects.filter(result=result, status=Document.Status.CURRENT)}


def test_renders_the_statement_and_the_certificate_and_stores_them(fake_pdf: list[tuple[str, str]]) -> None:
    _entry, result = released_entry(first_name="Ana", last_name="Ruiz")

    assert tasks.documents_render.delay(result_ids=[result.pk]).get() == 2

    documents = _current(result)
    assert set(documents) == {Document.Kind.STATEMENT, Document.Kind.CERTIFICATE}
    for document in documents.values():
        assert document.result_version == 1 and document.name_printed == "Ana Ruiz" and document.rendered_at
        assert document.file.name.startswith("documents/") and document.file.name.endswith(f"/{document.kind}.pdf")
        assert "Ruiz" not in document.file.name and document.file.name.split("/")[1] != str(document.pk)
        assert document.file.storage.exists(document.file.name)


def test_idempotent(fake_pdf: list[tuple[str, str]]) -> None:
    _entry, result = released_entry()
    tasks.documents_render(result_ids=[result.pk])
    first = {kind: d.uuid for kind, d in _current(result).items()}

    assert tasks.documents_render(result_ids=[result.pk, result.pk]) == 0

    assert len(fake_pdf) == 2
    assert {kind: d.uuid for kind, d in _current(result).items()} == first
    assert Document.objects.count() == 2


def test_only_visible_results_are_rendered(fake_pdf: list[tuple[str, str]]) -> None:
    _a, waiting = released_entry(released_at=timezone.now() + dt.timedelta(hours=2), status=Result.Status.READY)
    _b, held = released_entry(released_at=None, status=Result.Status.HELD)
    withdrawn_entry, withdrawn = released_entry()
    withdrawn_entry.status = withdrawn_entry.Status.WITHDRAWN
    withdrawn_entry.save()

    assert tasks.documents_render(result_ids=[waiting.pk, held.pk, withdrawn.pk]) == 0
    assert fake_pdf == [] and not Document.objects.exists()


def test_no_certificate_for_a_result_without_one(fake_pdf: list[tuple[str, str]]) -> None:
    _entry, result = released_entry(grade="Fail", overall=130, cefr="")
    Result.objects.filter(pk=result.pk).update(certificate=False)

    tasks.documents_render(result_ids=[result.pk])

    assert set(_current(result)) == {Document.Kind.STATEMENT}


def test_an_amendment_replaces_each_document_and_revokes_a_certificate_no_longer_due(
    fake_pdf: list[tuple[str, str]],
) -> None:
    _entry, result = released_entry()
    tasks.documents_render(result_ids=[result.pk])
    before = _current(result)
    Result.objects.filter(pk=result.pk).update(
        version=2, grade="Fail", overall_score=130, cefr_level="", certificate=False, amended_at=timezone.now()
    )

    tasks.documents_render(result_ids=[result.pk])

    after = _current(result)
    assert set(after) == {Document.Kind.STATEMENT}
    old_statement, old_certificate = (
        Document.objects.get(pk=before[kind].pk) for kind in sorted(before, reverse=True)
    )
    assert old_statement.status == Document.Status.SUPERSEDED
    assert old_statement.replaced_by == after[Document.Kind.STATEMENT]
    assert old_certificate.status == Document.Status.REVOKED and "no certificate" in old_certificate.status_reason


def test_queue_sends_after_commit_in_chunks(
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    fake_pdf: list[tuple[str, str]],
) -> None:
    sent: list[list[int]] = []
    monkeypatch.setattr(tasks.documents_render, "delay", lambda *, result_ids: sent.append(result_ids))
    monkeypatch.setattr(services, "RENDER_CHUNK_SIZE", 2)

    with django_capture_on_commit_callbacks(execute=True):
        services.documents_render_queue(result_ids=[5, 3, 1, 3, 4])
        assert sent == [], "nothing is queued before the commit"

    assert sent == [[1, 3], [4, 5]]


def test_queue_waits_for_the_commit(monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[list[int]] = []
    monkeypatch.setattr(tasks.documents_render, "delay", lambda *, result_ids: sent.append(result_ids))

    with transaction.atomic():
        services.documents_render_queue(result_ids=[1])
        assert sent == []


def test_queue_sends_nothing_when_the_transaction_rolls_back(
    monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    sent: list[list[int]] = []
    monkeypatch.setattr(tasks.documents_render, "delay", lambda *, result_ids: sent.append(result_ids))

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                services.documents_render_queue(result_ids=[1])
                raise _RolledBack
        except _RolledBack:
            pass

    assert callbacks == [] and sent == []


def test_the_sweep_finds_what_is_missing_or_out_of_date(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks, fake_pdf: list[tuple[str, str]]
) -> None:
    _a, done = released_entry()
    _b, missing = released_entry()
    _c, amended = released_entry()
    _d, waiting = released_entry(released_at=timezone.now() + dt.timedelta(hours=2), status=Result.Status.READY)
    tasks.documents_render(result_ids=[done.pk, amended.pk])
    Result.objects.filter(pk=amended.pk).update(version=2, amended_at=timezone.now())
    fake_pdf.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.documents_render_missing() == 2

    assert sorted(name for _kind, name in fake_pdf) == sorted(
        [missing.entry.person.full_name] * 2 + [amended.entry.person.full_name] * 2
    )
    assert tasks.documents_render_missing() == 0
    assert not Document.objects.filter(result=waiting).exists()


def test_one_failing_result_does_not_stop_the_others(
    monkeypatch: pytest.MonkeyPatch, fake_pdf: list[tuple[str, str]]
) -> None:
    _a, broken = released_entry(first_name="Broken")
    _b, fine = released_entry(first_name="Fine")
    real = services.document_pdf

    def flaky(**kwargs: object) -> bytes:
        if kwargs["facts"].name.startswith("Broken"):  # type: ignore[attr-defined]
            raise RuntimeError("renderer crashed")
        return real(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(services, "document_pdf", flaky)

    assert tasks.documents_render(result_ids=[broken.pk, fine.pk]) == 2
    assert not Document.objects.filter(result=broken).exists()
    assert Document.objects.filter(result=fine).count() == 2
