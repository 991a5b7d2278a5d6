import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from results_portal.refusals import refusal_text


def document_upload_to(instance: "Document", filename: str) -> str:
    """Return a storage path nobody can guess and that names nobody: a random folder, the document's kind."""
    return f"documents/{secrets.token_urlsafe(24)}/{instance.kind}.pdf"


class Document(models.Model):
    """A rendered Statement of Results, certificate or certifying statement, stored as a PDF. Personal data.

    The PDF shows one version of a result (``result_version``) with the name printed on it. Public addresses
    use ``uuid`` (inside a signed token for the QR code), never the primary key. A document is CURRENT until
    an amended one replaces it (SUPERSEDED, ``replaced_by`` says by which) or the board withdraws it
    (REVOKED); at most one document of each kind is current for a result.
    """

    class Kind(models.TextChoices):
        STATEMENT = "statement", _("Statement of Results")
        CERTIFICATE = "certificate", _("Certificate")
        CERTIFYING_STATEMENT = "certifying_statement", _("Certifying statement")

    class Status(models.TextChoices):
        CURRENT = "current", _("Current")
        SUPERSEDED = "superseded", _("Replaced by an amended version")
        REVOKED = "revoked", _("Revoked")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    result = models.ForeignKey("results.Result", on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    result_version = models.PositiveIntegerField(help_text="The version of the result this document shows.")
    name_printed = models.CharField(max_length=201, help_text="The candidate's name as printed on the document.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CURRENT)
    file = models.FileField(upload_to=document_upload_to, blank=True)
    rendered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    replaced_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaces", editable=False
    )
    status_changed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the document was superseded or revoked."
    )
    status_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["result", "kind", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["result", "kind"],
                condition=models.Q(status="current"),
                name="document_one_current_per_result_kind",
            ),
        ]
        indexes = [models.Index(fields=["result", "kind", "status"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.uuid} ({self.status})"


class KeptRefusal(models.Model):
    """The refusal a request keeps: the rule's code and values, shown in the reader's language, or the board's words.

    ``refusal`` is the English text (the board's admin and the history read it), or the board's own reason when the
    board refused; ``refusal_code`` and ``refusal_values`` name the rule that refused, so a page shows it in its
    language (``results_portal.refusals``).
    """

    refusal = models.CharField(max_length=300, blank=True)
    refusal_code = models.CharField(max_length=60, blank=True)
    refusal_values = models.JSONField(default=dict, blank=True)

    class Meta:
        abstract = True

    @property
    def refusal_shown(self) -> str:
        """The refusal in the active language: its rule's words, or the stored text when no rule refused."""
        return refusal_text(self.refusal_code, self.refusal_values) or self.refusal


class CertificateAmendment(KeptRefusal):
    """A centre's request for an amended certificate because the name on it is misspelt. Personal data.

    Only a misspelling can be corrected, within two years of the exam date, and only once the incorrect
    certificate is back at the centre (docs/domain.md §9 'Certificates and Statements of Results'). The other
    reasons exist so that a request for them is recorded and refused with the rule.
    """

    class Reason(models.TextChoices):
        MISSPELLING = "misspelling", _("The name is misspelt on the certificate")
        DEED_POLL = "deed_poll", _("Name changed by deed poll")
        MARRIAGE = "marriage", _("Name changed on marriage")
        DIVORCE = "divorce", _("Name changed on divorce")
        OTHER_NAME_CHANGE = "other_name_change", _("Other change of name after the exam")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested: waiting for the incorrect certificate")
        RETURNED = "returned", _("Incorrect certificate returned")
        ISSUED = "issued", _("Amended certificate issued")
        REFUSED = "refused", _("Refused")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    certificate = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="amendments")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    explanation = models.CharField(max_length=300, blank=True, help_text="What is wrong, in the centre's words.")
    corrected_first_name = models.CharField(max_length=100)
    corrected_last_name = models.CharField(max_length=100)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    requested_at = models.DateTimeField(auto_now_add=True)
    returned_at = models.DateTimeField(null=True, blank=True, help_text="When the centre got the certificate back.")
    returned_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(null=True, blank=True)
    refused_at = models.DateTimeField(null=True, blank=True)
    amended_certificate = models.OneToOneField(
        Document, null=True, blank=True, on_delete=models.PROTECT, related_name="issued_by_amendment"
    )

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["certificate"],
                condition=models.Q(status__in=["requested", "returned"]),
                name="amendment_one_open_per_certificate",
            ),
        ]

    def __str__(self) -> str:
        return f"amendment {self.public_id} ({self.status})"

    @property
    def corrected_name(self) -> str:
        return f"{self.corrected_first_name} {self.corrected_last_name}"


class CertifyingStatementOrder(models.Model):
    """A certifying statement ordered for a candidate who lost the certificate. Personal data.

    The candidate orders it from their account (``account``); orders made by a centre before that are kept
    (``ordered_by``). The fee comes from the board's fee table; the board records the payment (method and
    reference), and only then is the statement produced (docs/domain.md §9.4).
    """

    class PaymentMethod(models.TextChoices):
        CARD = "card", _("Card")
        BANK_TRANSFER = "bank_transfer", _("Bank transfer")
        POSTAL_ORDER = "postal_order", _("Postal order")

    class Status(models.TextChoices):
        ORDERED = "ordered", _("Ordered: waiting for payment")
        PAID = "paid", _("Paid")
        ISSUED = "issued", _("Issued")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    result = models.ForeignKey("results.Result", on_delete=models.PROTECT, related_name="certifying_orders")
    ordered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    account = models.ForeignKey(
        "candidates.CandidateAccount", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    payment_method = models.CharField(max_length=16, choices=PaymentMethod.choices, blank=True)
    amount = models.DecimalField(max_digits=8, decimal_places=2, help_text="In pounds sterling.")
    payment_reference = models.CharField(
        max_length=60, blank=True, help_text="Postal order number, card receipt or bank transfer reference."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ORDERED)
    ordered_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    paid_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(null=True, blank=True)
    document = models.OneToOneField(
        Document, null=True, blank=True, on_delete=models.PROTECT, related_name="certifying_order"
    )

    class Meta:
        ordering = ["-ordered_at"]

    def __str__(self) -> str:
        return f"certifying statement order {self.public_id} ({self.status})"


class DuplicateCertificateRequest(KeptRefusal):
    """A centre's request for a duplicate certificate, lost in the post or damaged. Personal data.

    The rules and their dates are enforced by ``certificates.duplicates`` (docs/domain.md §9.6); a refused request
    is kept with the rule that refused it. The board approves it, and the duplicate replaces the certificate.
    """

    class Reason(models.TextChoices):
        LOST_IN_POST = "lost_in_post", _("Lost between the centre and the candidate")
        DAMAGED = "damaged", _("Damaged (the original is returned)")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested: waiting for the board")
        ISSUED = "issued", _("Duplicate issued")
        REFUSED = "refused", _("Refused")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    certificate = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="duplicate_requests")
    reason = models.CharField(max_length=14, choices=Reason.choices)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    in_writing = models.BooleanField(default=False, help_text="Lost: the candidate told the centre in writing.")
    trace_reference = models.CharField(max_length=60, blank=True, help_text="Lost: the postal trace's reference.")
    original_returned = models.BooleanField(default=False, help_text="Damaged: the original is back at the centre.")
    fee = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    duplicate = models.OneToOneField(
        Document, null=True, blank=True, on_delete=models.PROTECT, related_name="issued_as_duplicate"
    )

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["certificate"],
                condition=models.Q(status="requested"),
                name="duplicate_one_open_per_certificate",
            ),
        ]

    def __str__(self) -> str:
        return f"duplicate certificate request {self.public_id} ({self.status})"
