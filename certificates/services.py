"""Writes for documents: render and store PDFs, amended certificates, certifying statements, revocation.

Rules (docs/domain.md §9 'Certificates and Statements of Results'): an amended certificate only corrects a misspelt
name, within two years of the exam date, once the incorrect certificate is back at the centre; a legal change
of name is never a reason. A lost certificate is replaced by a certifying statement the candidate orders, produced
once the board records the payment (card or postal order, §9.4); duplicates are in ``certificates.duplicates``.
Every PDF is rendered from a result read through ``results_visible``, stored once, and served from storage; a newer
result version or a corrected name gives a new document and the old one is superseded.
"""

import datetime as dt
import logging
from collections.abc import Iterable

from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.services import audit_record
from candidates.models import CandidateAccount
from centres.models import Candidate, Entry
from exams.models import ServiceFee
from exams.selectors import service_fee
from results.events import result_event_record
from results.models import Result, ResultEvent
from results.selectors import Audience, results_visible
from results_portal.dates import months_later
from results_portal.refusals import Refusal, Rule, refusal_fields

from .models import CertificateAmendment, CertifyingStatementOrder, Document
from .pdf import document_pdf
from .selectors import printed_name, result_facts, visible_result

logger = logging.getLogger(__name__)

RENDER_CHUNK_SIZE = 100
# A candidate asking for a PDF the release's tasks have not rendered yet: their result goes to a queue of its
# own, served by the documents workers before the long release backlog, at most once a minute per result.
URGENT_QUEUE = "documents_urgent"
URGENT_AGAIN_SECONDS = 60
AMENDMENT_YEARS = 2

# Refusals shown to centre staff, the candidate and the board, in the page's language (``results_portal.refusals``;
# an amendment the rules refuse keeps its rule's code and values). The tests reuse them.
AMENDMENT_NAME_CHANGE_REFUSED = Rule(
    "amendment.name_change",
    _(
        "The name on a certificate cannot be amended after a change of name by deed poll, marriage, divorce or any "
        "other reason: it must be the candidate's name at the time of the exam. Only a misspelt name can be "
        "corrected."
    ),
)
AMENDMENT_TOO_LATE = Rule(
    "amendment.too_late",
    _(
        "An amended certificate can only be produced within two years of the exam date. For this exam the last day "
        "was %(last_day)s."
    ),
    dates=("last_day",),
)
AMENDMENT_NOT_RETURNED = Rule(
    "amendment.not_returned",
    _(
        "The incorrect certificate must be returned to the centre before the amended certificate can be produced: "
        "record its return first."
    ),
)
AMENDMENT_NOT_CURRENT = Rule("amendment.not_current", _("Only the current certificate can be amended."))
AMENDMENT_ALREADY_OPEN = Rule("amendment.already_open", _("An amendment of this certificate is already in progress."))
AMENDMENT_SAME_NAME = Rule("amendment.same_name", _("The corrected name is the same as the name on the certificate."))
AMENDMENT_NAME_REQUIRED = Rule(
    "amendment.name_required", _("Give the candidate's first name and last name as they should be spelt.")
)
AMENDMENT_REASON = Rule("amendment.reason", _("Choose why the name should be amended."))
AMENDMENT_CLOSED = Rule("amendment.closed", _("This amendment is already closed."))
RESULT_NOT_AVAILABLE = Rule("certificate.result_not_available", _("This result is not available."))
CERTIFYING_NO_CERTIFICATE = Rule(
    "certifying.no_certificate",
    _("This result has no certificate, so there is no certificate for a statement to replace."),
)
CERTIFYING_NO_FEE = Rule(
    "certifying.no_fee",
    _("The board has not set the fee for a certifying statement in %(year)d, so it cannot be ordered yet."),
)
PAYMENT_METHOD_REQUIRED = Rule("certifying.payment_method", _("Choose how it was paid: card or postal order."))
PAYMENT_REFERENCE_REQUIRED = Rule(
    "certifying.payment_reference", _("Give the payment's reference: the postal order number or the card receipt.")
)
PAYMENT_METHODS_ACCEPTED = (
    CertifyingStatementOrder.PaymentMethod.CARD,
    CertifyingStatementOrder.PaymentMethod.POSTAL_ORDER,
)
ORDER_NOT_OPEN = Rule("certifying.order_not_open", _("This order has already been paid."))
ORDER_ALREADY_OPEN = Rule(
    "certifying.order_already_open",
    _("A certifying statement for this result is already waiting for payment: record that payment."),
)
REVOKE_REASON_REQUIRED = Rule(
    "document.revoke_reason", _("Say why the document is revoked: it is recorded in the audit trail.")
)


# --- Rendering and storing ------------------------------------------------------------------------------
def _file_exists(document: Document) -> bool:
    return bool(document.file) and document.file.storage.exists(document.file.name or "")


def _render_into(document: Document, *, result: Result, replaces: Document | None) -> Document:
    """Render ``document``'s PDF from ``result`` and store it (under a new random path)."""
    facts = result_facts(result=result, name=document.name_printed)
    issued_on = timezone.localdate(document.created_at) if document.created_at else timezone.localdate()
    pdf = document_pdf(document=document, facts=facts, replaces=replaces, issued_on=issued_on)
    document.file.save(f"{document.kind}.pdf", ContentFile(pdf), save=False)
    document.rendered_at = timezone.now()
    document.save(update_fields=["file", "rendered_at"])
    return document


def _document_issue(*, result: Result, kind: str, name: str, previous: Document | None, reason: str) -> Document:
    """Create and render the current document of ``kind`` for ``result``; the previous one is superseded."""
    now = timezone.now()
    if previous is not None:
        previous.status = Document.Status.SUPERSEDED
        previous.status_changed_at = now
        previous.status_reason = reason
        previous.save(update_fields=["status", "status_changed_at", "status_reason"])
    document = Document.objects.create(result=result, kind=kind, result_version=result.version, name_printed=name)
    if previous is not None:
        previous.replaced_by = document
        previous.save(update_fields=["replaced_by"])
    return _render_into(document, result=result, replaces=previous)


def _revoke(document: Document, *, reason: str) -> None:
    document.status = Document.Status.REVOKED
    document.status_changed_at = timezone.now()
    document.status_reason = reason
    document.save(update_fields=["status", "status_changed_at", "status_reason"])


def _bring_up_to_date(result: Result) -> int:
    """Render what ``result`` (locked, visible) is missing; return how many PDFs were rendered.

    Idempotent: a current document of the result's version whose file exists is left alone. The statement is
    always due, the certificate when the result has one; a certifying statement is rendered again only when
    one was issued for an older version. A certificate whose result no longer has one is revoked. A statement
    printed with a name since corrected is issued again with the corrected one.
    """
    current = {d.kind: d for d in Document.objects.filter(result=result, status=Document.Status.CURRENT)}
    name = printed_name(result=result)
    rendered = 0
    for kind in Document.Kind:
        document = current.get(kind)
        if kind == Document.Kind.STATEMENT:
            due = True
        else:
            due = result.certificate and (kind == Document.Kind.CERTIFICATE or document is not None)
        if not due:
            if document is not None:
                _revoke(document, reason=f"Result amended (version {result.version}): it has no certificate.")
            continue
        # A corrected name reaches statements at once; a certificate is reissued with it only through its own
        # amendment (the incorrect one must come back first).
        renamed = document is not None and kind != Document.Kind.CERTIFICATE and document.name_printed != name
        if document is not None and document.result_version == result.version and not renamed:
            if not _file_exists(document):
                _render_into(document, result=result, replaces=document.replaces.first())
                rendered += 1
            continue
        if document is None:
            reason = ""
        elif document.result_version != result.version:
            reason = f"Result amended (version {result.version})."
        else:
            reason = "Name corrected (misspelling)."
        _document_issue(result=result, kind=kind, name=name, previous=document, reason=reason)
        rendered += 1
    return rendered


def documents_render_for_results(*, result_ids: Iterable[int]) -> int:
    """Render and store the missing or out-of-date documents of these results; return how many were rendered.

    Only results visible now (released, not held, entry not withdrawn) are rendered. Each result is done in
    its own transaction with its row locked, so a web request rendering the same result waits, then finds
    the document and serves it.
    """
    ids = sorted(set(result_ids))
    entries = Entry.objects.filter(result__pk__in=ids).only("pk")
    visible_ids = list(
        results_visible(audience=Audience.entries(entries)).filter(pk__in=ids).values_list("pk", flat=True)
    )
    rendered = 0
    for result_id in visible_ids:
        try:
            with transaction.atomic():
                result = (
                    results_visible(audience=Audience.entries(Entry.objects.filter(result__pk=result_id).only("pk")))
                    .select_for_update(of=("self",))
                    .filter(pk=result_id)
                    .first()
                )
                if result is not None:
                    rendered += _bring_up_to_date(result)
        except Exception:
            # Ids only: the log must not carry a person's name or result.
            logger.exception("Rendering the documents of result %s failed; the sweep will try again", result_id)
    return rendered


def documents_render_queue(*, result_ids: Iterable[int]) -> None:
    """Queue ``documents_render`` for these results once the current transaction commits, in chunks.

    Call it in the transaction that releases or amends results (or changes who may see them).
    """
    ids = sorted(set(result_ids))
    if not ids:
        return

    def send() -> None:
        from .tasks import documents_render

        for start in range(0, len(ids), RENDER_CHUNK_SIZE):
            documents_render.delay(result_ids=ids[start : start + RENDER_CHUNK_SIZE])

    transaction.on_commit(send, robust=True)


def document_stored(*, result: Result, kind: str) -> Document | None:
    """Return the current document of ``kind`` for ``result``'s version if its file is stored; never render."""
    document = Document.objects.filter(result=result, kind=kind, status=Document.Status.CURRENT).first()
    if document is None or document.result_version != result.version or not _file_exists(document):
        return None
    document.result = result  # already read, with its entry, session and exam
    return document


def document_render_soon(*, result: Result, kind: str) -> Document | None:
    """Ask a documents worker to render ``result``'s documents ahead of the queue; return the one if stored.

    Web requests do not render PDFs (a second of CPU each, thousands at once on results day): a download
    that finds no file puts the result on ``URGENT_QUEUE`` (once a minute per version) and the candidate is asked
    to try again shortly. Where tasks run in-process (``make run``, the tests) the document is there at once.
    """
    if cache.add(f"documents-urgent:{result.pk}:{result.version}", 1, URGENT_AGAIN_SECONDS):
        from .tasks import documents_render

        documents_render.apply_async(kwargs={"result_ids": [result.pk]}, queue=URGENT_QUEUE)
    return document_stored(result=result, kind=kind)


def document_current(*, result: Result, kind: str) -> Document:
    """Return the current, stored document of ``kind`` for a visible ``result``, rendering it only if missing.

    A request serves what the task stored; if the task has not run yet (or the result was amended since),
    the document is rendered here once, stored, and every later request finds it.
    """
    document = document_stored(result=result, kind=kind)
    if document is not None:
        return document
    with transaction.atomic():
        locked = visible_result(result, lock=True)
        if locked is None:
            raise RESULT_NOT_AVAILABLE.error()
        _bring_up_to_date(locked)
    document = Document.objects.filter(result=result, kind=kind, status=Document.Status.CURRENT).first()
    if document is None:
        raise RESULT_NOT_AVAILABLE.error()
    document.result = result
    return document


@transaction.atomic
def document_revoke(*, document: Document, actor: User | None, reason: str) -> Document:
    """Revoke a document (its QR page then says so), recording who, when and why."""
    if not reason.strip():
        raise REVOKE_REASON_REQUIRED.error()
    document = Document.objects.select_for_update().select_related("result__entry").get(pk=document.pk)
    if document.status == Document.Status.REVOKED:
        return document
    _revoke(document, reason=reason.strip())
    audit_record(
        actor=actor,
        action="document.revoke",
        subject=document.result.entry.candidate_id,
        reason=reason.strip(),
        detail={"document": str(document.uuid), "kind": document.kind},
    )
    result_event_record(kind=ResultEvent.Kind.REVOKED, result_ids=[document.result_id])
    return document


# --- Amended certificates ------------------------------------------------------------------------------------
def amendment_last_day(*, exam_date: dt.date) -> dt.date:
    """Return the last day an amended certificate can be produced: the same calendar date two years on.

    An exam on 29 February has 28 February as its last day (there is no 29 February two years later).
    """
    return months_later(exam_date, 12 * AMENDMENT_YEARS)


def _too_late(result: Result, today: dt.date) -> Refusal | None:
    last_day = amendment_last_day(exam_date=result.entry.session.date)
    if today > last_day:
        return AMENDMENT_TOO_LATE.refusal(last_day=last_day)
    return None


def _amendment_audit(amendment: CertificateAmendment, *, actor: User | None, action: str, reason: str) -> None:
    audit_record(
        actor=actor,
        action=action,
        subject=amendment.certificate.result.entry.candidate_id,
        reason=reason,
        detail={
            "amendment": str(amendment.public_id),
            "certificate": str(amendment.certificate.uuid),
            "reason": amendment.reason,
            "name_on_certificate": amendment.certificate.name_printed,
            "corrected_name": amendment.corrected_name,
            "status": amendment.status,
        },
    )


@transaction.atomic
def certificate_amendment_request(
    *,
    certificate: Document,
    actor: User,
    reason: str,
    corrected_first_name: str,
    corrected_last_name: str,
    explanation: str = "",
    today: dt.date | None = None,
) -> CertificateAmendment:
    """Record a centre's request to correct the name on a certificate; return it, REFUSED if the rules say no.

    A refused request is kept (with the rule that refused it) so the history shows it; the caller shows
    ``amendment.refusal_shown`` to the centre, in its language.
    """
    first, last = corrected_first_name.strip(), corrected_last_name.strip()
    if not first or not last:
        raise AMENDMENT_NAME_REQUIRED.error()
    certificate = Document.objects.select_for_update().select_related("result__entry").get(pk=certificate.pk)
    if certificate.kind != Document.Kind.CERTIFICATE or certificate.status != Document.Status.CURRENT:
        raise AMENDMENT_NOT_CURRENT.error()
    result = visible_result(certificate.result)
    if result is None:
        raise RESULT_NOT_AVAILABLE.error()
    if CertificateAmendment.objects.filter(
        certificate=certificate,
        status__in=[CertificateAmendment.Status.REQUESTED, CertificateAmendment.Status.RETURNED],
    ).exists():
        raise AMENDMENT_ALREADY_OPEN.error()
    if f"{first} {last}" == certificate.name_printed:
        raise AMENDMENT_SAME_NAME.error()
    if reason not in CertificateAmendment.Reason.values:
        raise AMENDMENT_REASON.error()

    if reason != CertificateAmendment.Reason.MISSPELLING:
        refusal: Refusal | None = AMENDMENT_NAME_CHANGE_REFUSED.refusal()
    else:
        refusal = _too_late(result, today or timezone.localdate())
    amendment = CertificateAmendment.objects.create(
        certificate=certificate,
        requested_by=actor,
        reason=reason,
        explanation=explanation.strip(),
        corrected_first_name=first,
        corrected_last_name=last,
        status=CertificateAmendment.Status.REQUESTED if refusal is None else CertificateAmendment.Status.REFUSED,
        **refusal_fields(refusal),
        refused_at=timezone.now() if refusal is not None else None,
    )
    action = "certificate.amendment_requested" if refusal is None else "certificate.amendment_refused"
    _amendment_audit(amendment, actor=actor, action=action, reason=amendment.refusal or explanation.strip())
    return amendment


@transaction.atomic
def certificate_amendment_mark_returned(
    *, amendment: CertificateAmendment, actor: User, returned_at: dt.datetime | None = None
) -> CertificateAmendment:
    """Record that the incorrect certificate is back at the centre, so the amended one can be produced."""
    amendment = (
        CertificateAmendment.objects.select_for_update()
        .select_related("certificate__result__entry")
        .get(pk=amendment.pk)
    )
    if amendment.status != CertificateAmendment.Status.REQUESTED:
        raise AMENDMENT_CLOSED.error()
    amendment.status = CertificateAmendment.Status.RETURNED
    amendment.returned_at = returned_at or timezone.now()
    amendment.returned_recorded_by = actor
    amendment.save(update_fields=["status", "returned_at", "returned_recorded_by"])
    _amendment_audit(amendment, actor=actor, action="certificate.amendment_returned", reason="")
    return amendment


@transaction.atomic
def certificate_amendment_issue(
    *, amendment: CertificateAmendment, actor: User, today: dt.date | None = None
) -> CertificateAmendment:
    """Produce the amended certificate with the corrected name; the incorrect one becomes superseded.

    Refused (and recorded) if the two years from the exam date have passed in the meantime.
    """
    amendment = (
        CertificateAmendment.objects.select_for_update()
        .select_related("certificate__result__entry")
        .get(pk=amendment.pk)
    )
    if amendment.status == CertificateAmendment.Status.REQUESTED:
        raise AMENDMENT_NOT_RETURNED.error()
    if amendment.status != CertificateAmendment.Status.RETURNED:
        raise AMENDMENT_CLOSED.error()
    result = visible_result(amendment.certificate.result, lock=True)
    if result is None:
        raise RESULT_NOT_AVAILABLE.error()
    refusal = _too_late(result, today or timezone.localdate())
    if refusal is not None:
        kept = refusal_fields(refusal)
        for name, value in kept.items():
            setattr(amendment, name, value)
        amendment.status = CertificateAmendment.Status.REFUSED
        amendment.refused_at = timezone.now()
        amendment.save(update_fields=["status", "refused_at", *kept])
        _amendment_audit(amendment, actor=actor, action="certificate.amendment_refused", reason=amendment.refusal)
        return amendment
    _person_name_correct(amendment=amendment, result=result, actor=actor)
    amended = certificate_replace(result=result, name=amendment.corrected_name, reason="Name corrected (misspelling).")
    amendment.status = CertificateAmendment.Status.ISSUED
    amendment.issued_at = timezone.now()
    amendment.amended_certificate = amended
    amendment.save(update_fields=["status", "issued_at", "amended_certificate"])
    _amendment_audit(amendment, actor=actor, action="certificate.amendment_issued", reason=amendment.explanation)
    return amendment


def certificate_replace(*, result: Result, reason: str, name: str | None = None) -> Document:
    """Issue a new certificate for ``result`` (locked, visible) that replaces the one in force, for ``reason``.

    The certificate in force is the current one: the one a request named, or its successor if the result was amended
    meanwhile. ``name`` is printed on the new one; None keeps the name printed on the one it replaces.
    """
    previous = Document.objects.filter(
        result=result, kind=Document.Kind.CERTIFICATE, status=Document.Status.CURRENT
    ).first()
    if name is None:
        if previous is None:
            raise RESULT_NOT_AVAILABLE.error()
        name = previous.name_printed
    return _document_issue(result=result, kind=Document.Kind.CERTIFICATE, name=name, previous=previous, reason=reason)


def _person_name_correct(*, amendment: CertificateAmendment, result: Result, actor: User) -> None:
    """Correct the misspelt name on the centre's record of the person, so every output shows the right one.

    The old spelling stays in the history: on the amendment (the certificate it names) and in the audit trail.
    Every result of the person is announced (``NAME_CORRECTED``): their documents are issued again with the
    corrected name, results files rebuilt, and pages, verification and credentials read the record afresh.
    """
    person = Candidate.objects.select_for_update().get(pk=result.entry.person_id)
    before = person.full_name
    person.first_name, person.last_name = amendment.corrected_first_name, amendment.corrected_last_name
    person.save(update_fields=["first_name", "last_name"])
    audit_record(
        actor=actor,
        action="candidate.name_corrected",
        subject=result.entry.candidate_id,
        reason=amendment.explanation,
        detail={"before": before, "after": person.full_name, "amendment": str(amendment.public_id)},
    )
    result_ids = Result.objects.filter(entry__person=person).values_list("pk", flat=True)
    result_event_record(kind=ResultEvent.Kind.NAME_CORRECTED, result_ids=result_ids)


# --- Certifying statements ------------------------------------------------------------------------------------
def _order_audit(order: CertifyingStatementOrder, *, actor: User | None, action: str) -> None:
    audit_record(
        actor=actor,
        action=action,
        subject=order.result.entry.candidate_id,
        detail={
            "order": str(order.public_id),
            "payment_method": order.payment_method,
            "amount": str(order.amount),
            "payment_reference": order.payment_reference,
            "status": order.status,
            "document": str(order.document.uuid) if order.document else "",
        },
    )


def certificate_had(*, result: Result) -> Document | None:
    """Return the latest certificate issued for ``result`` (current or replaced, never revoked), or None."""
    return (
        Document.objects.filter(result=result, kind=Document.Kind.CERTIFICATE)
        .exclude(status=Document.Status.REVOKED)
        .order_by("-created_at", "-pk")
        .first()
    )


@transaction.atomic
def certifying_statement_order(
    *, result: Result, account: CandidateAccount, today: dt.date | None = None
) -> CertifyingStatementOrder:
    """Record a candidate's order of a certifying statement for a certificate they had, at the fee of the year.

    The caller read ``result`` through the candidate's own ``results_visible``. Nothing is produced until the board
    records the payment (``certifying_statement_mark_paid``).
    """
    visible = visible_result(result)
    if visible is None:
        raise RESULT_NOT_AVAILABLE.error()
    if not visible.certificate or certificate_had(result=visible) is None:
        raise CERTIFYING_NO_CERTIFICATE.error()
    day = today or timezone.localdate()
    fee = service_fee(service=ServiceFee.Service.CERTIFYING_STATEMENT, on=day)
    if fee is None:
        raise CERTIFYING_NO_FEE.error(year=day.year)
    if CertifyingStatementOrder.objects.filter(
        result=visible, status=CertifyingStatementOrder.Status.ORDERED
    ).exists():
        raise ORDER_ALREADY_OPEN.error()
    order = CertifyingStatementOrder.objects.create(result=visible, account=account, amount=fee)
    _order_audit(order, actor=account.user, action="certificate.certifying_statement_ordered")
    return order


@transaction.atomic
def certifying_statement_mark_paid(
    *,
    order: CertifyingStatementOrder,
    actor: User,
    payment_method: str,
    payment_reference: str,
    paid_at: dt.datetime | None = None,
) -> CertifyingStatementOrder:
    """Record the payment the board received (card or postal order, with its reference), then produce the statement.

    The statement is in the name at the time of the award: the name on the certificate it stands for. A previous
    certifying statement is superseded.
    """
    if payment_method not in PAYMENT_METHODS_ACCEPTED:
        raise PAYMENT_METHOD_REQUIRED.error()
    if not payment_reference.strip():
        raise PAYMENT_REFERENCE_REQUIRED.error()
    order = CertifyingStatementOrder.objects.select_for_update().select_related("result__entry").get(pk=order.pk)
    if order.status != CertifyingStatementOrder.Status.ORDERED:
        raise ORDER_NOT_OPEN.error()
    result = visible_result(order.result, lock=True)
    if result is None:
        raise RESULT_NOT_AVAILABLE.error()
    certificate = certificate_had(result=result)
    if certificate is None:
        raise CERTIFYING_NO_CERTIFICATE.error()
    order.status = CertifyingStatementOrder.Status.PAID
    order.paid_at = paid_at or timezone.now()
    order.paid_recorded_by = actor
    order.payment_method, order.payment_reference = payment_method, payment_reference.strip()
    order.save(update_fields=["status", "paid_at", "paid_recorded_by", "payment_method", "payment_reference"])
    _order_audit(order, actor=actor, action="certificate.certifying_statement_paid")

    previous = Document.objects.filter(
        result=result, kind=Document.Kind.CERTIFYING_STATEMENT, status=Document.Status.CURRENT
    ).first()
    order.document = _document_issue(
        result=result,
        kind=Document.Kind.CERTIFYING_STATEMENT,
        name=certificate.name_printed,
        previous=previous,
        reason="A new certifying statement was issued.",
    )
    order.status = CertifyingStatementOrder.Status.ISSUED
    order.issued_at = timezone.now()
    order.save(update_fields=["document", "status", "issued_at"])
    _order_audit(order, actor=actor, action="certificate.certifying_statement_issued")
    return order
