import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def _default_allowance() -> int:
    return int(settings.VERIFICATION_ORGANISATION_ALLOWANCE)


class OrganisationKind(models.TextChoices):
    UNIVERSITY = "university", _("University or college")
    EMPLOYER = "employer", _("Employer")
    GOVERNMENT = "government", _("Government or embassy")
    OTHER = "other", _("Other")


class VerifierOrganisation(models.Model):
    """A university, employer or embassy with a verifier account. Holds personal data: the contact email address.

    Logs in with ``email`` and a password (on ``user``, hashed with Argon2id). An organisation gets a higher
    per-network limit on unsuccessful tries (``allowance``), bulk verification, API keys and a history of its
    lookups. Usable once its email address is confirmed.
    """

    Kind = OrganisationKind

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="verifier_organisation"
    )
    name = models.CharField(_("organisation name"), max_length=200)
    country = models.CharField(_("country"), max_length=100)
    email = models.EmailField(_("email"), unique=True, help_text="Normalised to lower case; the login name.")
    email_confirmed_at = models.DateTimeField(null=True, blank=True)
    allowance = models.PositiveSmallIntegerField(
        default=_default_allowance,
        help_text="Multiplies the per-network limit of unsuccessful tries (accounts.guard): many staff, one address.",
    )
    language = models.CharField(
        max_length=10,
        default="en",
        help_text="The language the organisation registered in; the portal's emails to its contact use it.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    verified_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When board staff checked the organisation is who it says it is. Until then it is 'unverified' "
        "wherever its name is shown, and has an anonymous verifier's limits.",
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The directory candidates send results to (docs/domain.md §11.7): only vetted organisations are listed.
    listed = models.BooleanField(_("list us in the directory"), default=False)
    kind = models.CharField(_("kind of organisation"), max_length=12, choices=Kind.choices, blank=True)
    accepts = models.CharField(
        _("what you accept"), max_length=300, blank=True, help_text=_("For example: B2 First and above, IELTS 6.5.")
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.country})"

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    @property
    def effective_allowance(self) -> int:
        """Return the multiplier of the per-network limit: the organisation's own once vetted, else 1."""
        return self.allowance if self.is_verified else 1

    @property
    def is_confirmed(self) -> bool:
        return self.email_confirmed_at is not None


class ApiKey(models.Model):
    """A key an organisation sends as ``Authorization: Bearer <key>``. No personal data.

    Only the SHA-256 digest of the key is stored (a random 256-bit key needs no slow hash); the key itself
    is shown once, when it is made. ``prefix`` lets the organisation tell its keys apart.
    """

    organisation = models.ForeignKey(VerifierOrganisation, on_delete=models.CASCADE, related_name="api_keys")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=16)
    key_digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name, verbose_name_plural = "API key", "API keys"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ShareLink(models.Model):
    """A link a candidate made to show one released result without the secret number. Links personal data.

    The token in the URL is random (128 bits) and only its SHA-256 digest is stored; the link works until
    ``expires_at`` unless revoked, and only while the result is visible (``results.selectors``).
    """

    class Expiry(models.TextChoices):
        WEEK = "7", _("1 week")
        MONTH = "30", _("30 days")
        QUARTER = "90", _("90 days")
        YEAR = "365", _("1 year")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    entry = models.ForeignKey("centres.Entry", on_delete=models.CASCADE, related_name="share_links")
    account = models.ForeignKey("candidates.CandidateAccount", on_delete=models.CASCADE, related_name="share_links")
    organisation_name = models.CharField(_("organisation"), max_length=200, blank=True)
    token_digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"share link {self.public_id} ({self.entry_id})"


class Verification(models.Model):
    """One successful check of an entry by a verifier: when, how, and by whom. Personal data (by relation).

    Written for every lookup that matched an entry (form, API, bulk, share link, QR code), whatever the state
    of its result; the candidate sees these rows on the dashboard. ``organisation_name`` is kept as it was
    at the time, so the row still says who looked after the organisation's account is gone; empty means an
    anonymous verifier. Failed tries are not here: the guard records them (``accounts.AuthFailure``).
    """

    class Channel(models.TextChoices):
        FORM = "form", _("the verification form")
        API = "api", _("the API")
        BULK = "bulk", _("a bulk check")
        LINK = "link", _("a share link")
        QR = "qr", _("the QR code")
        SENT = "sent", _("a result you sent them")

    # Each API check writes one row: the entry's and the organisation's own indexes would repeat the first column
    # of the two below (which serve those foreign keys' look-ups too), so they are not made.
    entry = models.ForeignKey("centres.Entry", on_delete=models.CASCADE, related_name="verifications", db_index=False)
    at = models.DateTimeField(db_index=True)
    channel = models.CharField(max_length=4, choices=Channel.choices)
    organisation = models.ForeignKey(
        VerifierOrganisation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="verifications",
        db_index=False,
    )
    organisation_name = models.CharField(max_length=200, blank=True)
    share_link = models.ForeignKey(
        ShareLink, null=True, blank=True, on_delete=models.SET_NULL, related_name="verifications"
    )

    class Meta:
        ordering = ["-at"]
        indexes = [
            models.Index(fields=["entry", "-at"], name="verification_entry_at"),
            models.Index(fields=["organisation", "-at"], name="verification_organisation_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.entry_id} via {self.channel}"


class BulkVerification(models.Model):
    """A CSV of Candidate IDs and secret numbers checked by a background task for an organisation.

    Holds personal data and credentials, both sealed (accounts.sealing): ``source_sealed`` (the uploaded
    rows, emptied once processed) and ``output_sealed`` (the results CSV, emptied
    ``VERIFICATION_BULK_KEPT_DAYS`` after the check by ``verification.tasks.bulk_verifications_purge``).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Checking")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(VerifierOrganisation, on_delete=models.CASCADE, related_name="bulk_checks")
    filename = models.CharField(max_length=200)
    ip = models.GenericIPAddressField("IP address", null=True, blank=True)
    source_sealed = models.TextField(blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True, help_text="Rows per status, e.g. {'verified': 10}.")
    output_sealed = models.TextField(blank=True)
    output_purged_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["finished_at"], name="bulkverification_finished")]

    def __str__(self) -> str:
        return f"{self.organisation.name} {self.filename} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED}


class CredentialStatus(models.Model):
    """Where one issued credential (a result at one version) sits in the board's status lists. No personal data.

    Each credential the portal issues names place ``index`` of status list ``list_number``: two bits of
    ``/credentials/status/message/<n>`` (credentials issued before 2026-12-06: one bit in each of
    ``/credentials/status/revocation/<n>`` and ``/credentials/status/suspension/<n>``; W3C Bitstring Status
    List v1.0). The index is drawn at random among the unused ones, so it says nothing about when or in which
    order credentials were issued. The bit itself is never stored: ``verification.status_lists`` works it out
    from the result's current state (docs/decisions/0008-credential-status.md). A result deleted later leaves
    ``result`` empty, and its credentials count as revoked.
    """

    result = models.ForeignKey(
        "results.Result", null=True, on_delete=models.SET_NULL, related_name="credential_statuses"
    )
    result_version = models.PositiveIntegerField(help_text="The result's version the credential states.")
    list_number = models.PositiveIntegerField()
    index = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name, verbose_name_plural = "credential status", "credential statuses"
        ordering = ["list_number", "index"]
        constraints = [
            models.UniqueConstraint(fields=["list_number", "index"], name="credential_status_index_unique"),
            models.UniqueConstraint(fields=["result", "result_version"], name="credential_status_once_per_version"),
        ]

    def __str__(self) -> str:
        return f"status list {self.list_number} bit {self.index}"


class Delivery(models.Model):
    """A released result a candidate sent to an organisation, with what they chose to disclose. Personal data.

    ``result_version`` is the version sent: a later version makes the delivery "amended". A withdrawn delivery
    keeps its row (the organisation keeps the record that it was withdrawn) but shows no result any more.
    ``organisation_name`` is the name at the time, kept if the organisation's account goes.
    """

    class Disclosure(models.TextChoices):
        FULL = "full", _("Full: result, CEFR level, overall and skill scores, date of birth")
        MINIMAL = "minimal", _("Minimal: exam, date, result and CEFR level only")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey("candidates.CandidateAccount", on_delete=models.CASCADE, related_name="deliveries")
    entry = models.ForeignKey("centres.Entry", on_delete=models.CASCADE, related_name="deliveries")
    result = models.ForeignKey("results.Result", on_delete=models.CASCADE, related_name="deliveries")
    organisation = models.ForeignKey(VerifierOrganisation, on_delete=models.CASCADE, related_name="deliveries")
    organisation_name = models.CharField(max_length=200)
    disclosure = models.CharField(max_length=8, choices=Disclosure.choices)
    result_version = models.PositiveIntegerField(help_text="The result's version when it was sent.")
    created_at = models.DateTimeField(auto_now_add=True)
    changed_at = models.DateTimeField(help_text="When it was sent or its result last changed (the inbox's 'new').")
    opened_at = models.DateTimeField(null=True, blank=True, help_text="When the organisation last opened it.")
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        ordering = ["-created_at"]
        constraints = [
            # Sending the same result to the same organisation again is the delivery already there, unless the
            # candidate withdrew it.
            models.UniqueConstraint(
                fields=["result", "organisation"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="delivery_once_per_result_and_organisation",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "-created_at"], name="delivery_organisation_created")]

    def __str__(self) -> str:
        return f"delivery {self.public_id} to {self.organisation_name}"

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None


class DeliveryEvent(models.Model):
    """Something an organisation is told about a delivery: the feed's rows and the webhooks' events. No personal
    data (ids only).

    The primary key orders the organisation's feed (``/api/v1/deliveries?after=``) and each endpoint's webhooks.
    Written only by ``verification.deliveries.delivery_events_record``, whose writers take turns so that ids
    become visible in their order (docs/decisions/0017-delivery-events-in-id-order.md). One row per delivery and
    kind for ``delivery.created``/``delivery.withdrawn``, and per delivery and result event for the others, so a
    result event dispatched twice (``results.events``) tells nobody twice.
    """

    class Kind(models.TextChoices):
        CREATED = "delivery.created", _("Sent to you")
        AMENDED = "result.amended", _("Result amended")
        HELD = "result.held", _("Result held for review")
        RELEASED_AGAIN = "result.released_again", _("Result released again")
        WITHDRAWN = "delivery.withdrawn", _("Withdrawn by the candidate")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="events")
    organisation = models.ForeignKey(VerifierOrganisation, on_delete=models.CASCADE, related_name="delivery_events")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    result_event = models.ForeignKey(
        "results.ResultEvent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    emailed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the email to the organisation's contact was written to the outbox."
    )

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["delivery", "kind"],
                condition=models.Q(kind__in=["delivery.created", "delivery.withdrawn"]),
                name="delivery_event_once_per_delivery",
            ),
            models.UniqueConstraint(
                fields=["delivery", "result_event"],
                condition=models.Q(result_event__isnull=False),
                name="delivery_event_once_per_result_event",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "id"], name="delivery_event_feed")]

    def __str__(self) -> str:
        return f"{self.kind} ({self.delivery_id})"


class WebhookEndpoint(models.Model):
    """An HTTPS address an organisation wants delivery events POSTed to. No personal data.

    The signing secret (Standard Webhooks, ``whsec_…``) is sealed (``accounts.sealing``): it must be read to
    sign, and is shown to the organisation once, when made or rotated.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(VerifierOrganisation, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(_("address (URL)"), max_length=500)
    secret_sealed = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    secret_rotated_at = models.DateTimeField(null=True, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.url


class WebhookMessage(models.Model):
    """One delivery event to POST to one endpoint: the webhooks' outbox. No personal data (ids only).

    Written in the transaction that records the event; sent after commit, in event order per endpoint; stays
    PENDING until the endpoint answered 2xx, so a worker killed mid-send loses nothing (the next flush sends it
    again: receivers deduplicate on ``webhook-id``). Retried with back-off for 24 hours, then FAILED.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="messages")
    event = models.ForeignKey(DeliveryEvent, on_delete=models.CASCADE, related_name="webhook_messages")
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["event_id"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event"], name="webhook_message_once_per_endpoint"),
        ]
        indexes = [
            models.Index(
                fields=["endpoint", "event"], condition=models.Q(state="pending"), name="webhook_message_pending"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.endpoint_id} ({self.state})"


class OrganisationInvite(models.Model):
    """An organisation a candidate asked to join the directory, by email. Personal data: the address.

    At most one invitation per address a day, whoever asks (``verification.services.organisation_invite``).
    """

    account = models.ForeignKey("candidates.CandidateAccount", on_delete=models.CASCADE, related_name="invites")
    email = models.EmailField()
    organisation_name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["email", "-created_at"], name="organisation_invite_email")]

    def __str__(self) -> str:
        return f"invite {self.email}"
