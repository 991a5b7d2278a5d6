"""Reads for documents, amendments and certifying statements.

Every result shown here (in a PDF, on the verification page, in the centre area) is read through
``results.selectors.results_visible`` with the audience of whoever is looking: the candidate's account, the
centre, or the holder of a document's signed token (``Audience.entries``). A held, withdrawn or
not-yet-released result is never shown, whatever document points at it.
"""

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from centres.models import Entry
from centres.selectors import entry_search
from results.charts import component_chart_svg
from results.models import Result
from results.presentation import ComponentView, ResultView, grade_display, result_view
from results.selectors import Audience, release_figures_register, results_visible

from .models import CertificateAmendment, CertifyingStatementOrder, Document, DuplicateCertificateRequest
from .tokens import document_token_uuid

# What a document says about a result is what every output says: the one presentation of a result.
ComponentLine = ComponentView
ResultFacts = ResultView


def visible_result(result: Result, *, lock: bool = False) -> Result | None:
    """Return ``result`` read again through ``results_visible`` (as the holder of its entry), or None.

    Every write about a result's documents (a PDF, an amendment, a duplicate, a certifying statement) starts here,
    so a held, withdrawn or not-yet-released result is never written about. ``lock`` locks the result's row.
    """
    queryset = results_visible(audience=Audience.entries([result.entry])).filter(pk=result.pk)
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    return queryset.first()


@dataclass(frozen=True)
class Verification:
    """What the QR code's page says about a document: its state and the facts that hold now."""

    document: Document
    state: str
    changed_on: dt.datetime | None
    facts: ResultFacts | None
    by_duplicate: bool = False  # replaced by a duplicate certificate (lost in the post, or damaged)


def printed_name(*, result: Result) -> str:
    """Return the name documents print for a result: the name at the exam, or its latest correction.

    Only a misspelling is ever corrected (``CertificateAmendment``), so this is still the name at the exam.
    """
    amendment = (
        CertificateAmendment.objects.filter(certificate__result=result, status=CertificateAmendment.Status.ISSUED)
        .order_by("-issued_at")
        .first()
    )
    return amendment.corrected_name if amendment is not None else result.entry.person.full_name


def result_facts(*, result: Result, name: str) -> ResultFacts:
    """Return the facts a document shows for ``result`` (read through ``results_visible``) naming ``name``."""
    return result_view(result=result, name=name)


def result_chart_svg(*, facts: ResultFacts) -> str:
    """Return the Statement of Results bar chart for a scale-score exam, or an empty string for other exams."""
    if not facts.scale or not facts.graded:
        return ""
    overall = None if facts.overall_display.startswith("below") else int(facts.overall_display or 0) or None
    return component_chart_svg(
        exam_code=facts.exam_code,
        on=facts.exam_date,
        components=[(line.label, line.score) for line in facts.components],
        overall=overall,
    )


def certification_is_below(facts: ResultFacts) -> bool:
    """Return whether the certificate is the near-miss one: 'ability at <level below>', not the exam's pass."""
    return facts.certification_is_below


# --- Candidates -------------------------------------------------------------------------------------------
def statement_result_for_account(*, account_id: int, entry_public_id: uuid.UUID) -> Result | None:
    """Return the released result of one of the account's entries, or None (not theirs, not released, held)."""
    return results_visible(audience=Audience.candidate(account_id)).filter(entry__public_id=entry_public_id).first()


# --- Verification (the QR code) ---------------------------------------------------------------------------
def document_for_token(*, token: str) -> Document | None:
    """Return the document a signed token names, or None for a forged, altered or unknown token."""
    document_uuid = document_token_uuid(token=token)
    if document_uuid is None:
        return None
    return Document.objects.select_related("result__entry").filter(uuid=document_uuid).first()


def _current_successor(document: Document) -> Document | None:
    seen = {document.pk}
    successor = document.replaced_by
    while successor is not None and successor.status == Document.Status.SUPERSEDED and successor.pk not in seen:
        seen.add(successor.pk)
        successor = successor.replaced_by
    return successor if successor is not None and successor.status == Document.Status.CURRENT else None


def document_verification(*, document: Document, now: dt.datetime | None = None) -> Verification | None:
    """Return what the document's QR page shows, or None when its result may not be shown (held, withdrawn).

    A document whose result was amended after it was printed counts as replaced even before the amended
    documents are rendered: the page always gives the facts that hold now.
    """
    entry = document.result.entry
    result = results_visible(audience=Audience.entries([entry]), now=now).filter(pk=document.result_id).first()
    if result is None:
        return None
    if document.status == Document.Status.REVOKED:
        return Verification(
            document=document, state=Document.Status.REVOKED, changed_on=document.status_changed_at, facts=None
        )
    if document.status == Document.Status.SUPERSEDED or document.result_version < result.version:
        successor = _current_successor(document)
        name = successor.name_printed if successor is not None else printed_name(result=result)
        return Verification(
            document=document,
            state=Document.Status.SUPERSEDED,
            changed_on=document.status_changed_at or result.amended_at,
            facts=result_facts(result=result, name=name),
            by_duplicate=DuplicateCertificateRequest.objects.filter(
                certificate=document, status=DuplicateCertificateRequest.Status.ISSUED
            ).exists(),
        )
    return Verification(
        document=document,
        state=Document.Status.CURRENT,
        changed_on=None,
        facts=result_facts(result=result, name=document.name_printed),
    )


# --- Centres ----------------------------------------------------------------------------------------------
def centre_results(*, audience: Audience) -> QuerySet[Result]:
    """Return the results a member of a centre's staff may see (``Audience.centre``: the centre's, by the member's
    role), newest session first."""
    if audience.centre_id is None:
        raise ValueError("the centre's certificate desk needs a centre audience")
    return results_visible(audience=audience).order_by(
        "-entry__session__date", "entry__person__last_name", "entry__person__first_name"
    )


def centre_documents_overview(*, audience: Audience, query: str = "") -> QuerySet[Result]:
    """Return the centre's released results (optionally those matching a Candidate ID or name) with their
    current documents in ``current_documents``."""
    results = centre_results(audience=audience)
    if query:
        results = results.filter(entry_search(query, prefix="entry__"))
    current = Document.objects.filter(status=Document.Status.CURRENT)
    return results.prefetch_related(Prefetch("documents", queryset=current, to_attr="current_documents"))


def overview_grade(result: Result) -> str:
    """Return the result as the centre's certificate desk shows it: as every output does (results.presentation),
    so never a blank for a unitised entry."""
    return grade_display(
        family=result.entry.session.exam.family, grade=result.grade, qualification=result.qualification
    )


def overview_row(result: Result) -> dict[str, Any]:
    """Return what the centre's list shows for one result from ``centre_documents_overview``."""
    current = {document.kind: document for document in result.current_documents}  # type: ignore[attr-defined]
    return {
        "result": result,
        "entry": result.entry,
        "grade": overview_grade(result),
        "certificate": current.get(Document.Kind.CERTIFICATE),
        "statement": current.get(Document.Kind.STATEMENT),
        "certifying": current.get(Document.Kind.CERTIFYING_STATEMENT),
    }


def centre_result(*, audience: Audience, entry_public_id: uuid.UUID) -> Result | None:
    """Return the released result of one of the centre's entries, or None (other centre, not released, held)."""
    return centre_results(audience=audience).filter(entry__public_id=entry_public_id).first()


def centre_document(*, audience: Audience, document_uuid: uuid.UUID) -> Document | None:
    """Return a document of one of the centre's released results, or None."""
    visible = centre_results(audience=audience).values("pk")
    return Document.objects.select_related("result__entry").filter(uuid=document_uuid, result__in=visible).first()


def centre_amendment(*, audience: Audience, public_id: uuid.UUID) -> CertificateAmendment | None:
    """Return an amendment of one of the centre's released results, or None."""
    visible = centre_results(audience=audience).values("pk")
    return (
        CertificateAmendment.objects.select_related("certificate__result__entry")
        .filter(public_id=public_id, certificate__result__in=visible)
        .first()
    )


def result_history(*, result: Result) -> dict[str, object]:
    """Return every document, amendment, certifying statement order and duplicate request of a result, newest first."""
    return {
        "documents": list(
            Document.objects.filter(result=result).select_related("replaced_by").order_by("-created_at", "-pk")
        ),
        "amendments": list(
            CertificateAmendment.objects.filter(certificate__result=result)
            .select_related("requested_by", "returned_recorded_by", "certificate", "amended_certificate")
            .order_by("-requested_at", "-pk")
        ),
        "orders": list(
            CertifyingStatementOrder.objects.filter(result=result)
            .select_related("ordered_by", "paid_recorded_by", "document")
            .order_by("-ordered_at", "-pk")
        ),
        "duplicates": list(
            DuplicateCertificateRequest.objects.filter(certificate__result=result)
            .select_related("requested_by", "decided_by", "certificate", "duplicate")
            .order_by("-requested_at", "-pk")
        ),
    }


def current_document(*, result: Result, kind: str) -> Document | None:
    """Return the current document of this kind for the result, or None."""
    return Document.objects.filter(result=result, kind=kind, status=Document.Status.CURRENT).first()


def results_missing_documents(*, limit: int = 1000) -> list[int]:
    """Return ids of released results whose current documents are missing, out of date or no longer due.

    Only ids: ``documents_render`` reads the results themselves through ``results_visible``.
    """
    current = Document.objects.filter(result=OuterRef("pk"), status=Document.Status.CURRENT)
    up_to_date = current.filter(result_version=OuterRef("version"))
    statement = Exists(up_to_date.filter(kind=Document.Kind.STATEMENT))
    certificate = Exists(up_to_date.filter(kind=Document.Kind.CERTIFICATE))
    any_certificate = Exists(current.filter(kind=Document.Kind.CERTIFICATE))
    stale = Exists(current.exclude(result_version=OuterRef("version")))
    return list(
        Result.objects.filter(released_at__lte=timezone.now(), entry__status=Entry.Status.ENTERED)
        .exclude(status=Result.Status.HELD)
        .filter(~statement | stale | (Q(certificate=True) & ~certificate) | (Q(certificate=False) & any_certificate))
        .order_by("released_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


@release_figures_register
def documents_rendered(session_id: int) -> list[tuple[str, str]]:
    """The release page's line on PDFs: current statements and certificates rendered, of those made (one query)."""
    current = Document.objects.filter(result__entry__session_id=session_id, status=Document.Status.CURRENT)
    counts = current.aggregate(total=Count("pk"), rendered=Count("pk", filter=Q(rendered_at__isnull=False)))
    return [("PDFs rendered (current statements and certificates)", f"{counts['rendered']} of {counts['total']}")]
