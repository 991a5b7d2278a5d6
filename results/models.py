import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Result(models.Model):
    """The graded result of one entry. Holds personal data (a person's result), embargoed until released.

    ``released_at`` is the instant from which the candidate (and verifiers) may see the result: the later
    of the session's release window opening and the moment the result was ready. ``centre_released_at`` is
    the same for the centre: equal for scale-score exams, earlier for a unitised series' restricted release.
    ``release_due`` turns READY into RELEASED once that instant has passed and queues the emails; visibility
    itself depends only on these instants (and a hold), so a page never shows a result a second early nor
    waits for the job. Never read a result for display directly: ``results.selectors.results_visible``
    applies the embargo and ownership.
    """

    class Status(models.TextChoices):
        READY = "ready", _("Ready, waiting for release")
        RELEASED = "released", _("Released")
        HELD = "held", _("Held by the board")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    entry = models.OneToOneField("centres.Entry", on_delete=models.CASCADE, related_name="result")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.READY)
    overall_score = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Empty below the reported range."
    )
    grade = models.CharField(max_length=40, help_text="The result as printed, e.g. 'Grade B' or 'Pass with Merit'.")
    cefr_level = models.CharField("CEFR level", max_length=2, blank=True)
    certificate = models.BooleanField(default=False)
    ready_at = models.DateTimeField()
    released_at = models.DateTimeField(
        null=True,
        blank=True,
        db_index=True,
        help_text="Visible to the candidate from this instant (never while held); empty if held before it.",
    )
    centre_released_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Visible to the centre from this instant (restricted release); see released_at.",
    )
    version = models.PositiveIntegerField(default=1, help_text="Goes up with every amendment after release.")
    amended_at = models.DateTimeField(null=True, blank=True)
    hold_reason = models.CharField(
        max_length=300, blank=True, help_text="Shown to the centre with the 'Q' (pending) grade while held."
    )
    qualification = models.JSONField(
        null=True,
        blank=True,
        help_text="Unitised: how the qualification result was worked out (which unit result counted).",
    )

    class Meta:
        ordering = ["entry__candidate_id"]
        indexes = [models.Index(fields=["status", "released_at"])]

    def __str__(self) -> str:
        return f"{self.entry} {self.grade}"


class ComponentScore(models.Model):
    """One component's score in a result (scale score or raw mark). Holds personal data, embargoed."""

    result = models.ForeignKey(Result, on_delete=models.CASCADE, related_name="component_scores")
    component = models.ForeignKey("exams.Component", on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField(help_text="Scale score, or the raw mark of a unit.")
    ums = models.PositiveSmallIntegerField("UMS", null=True, blank=True)
    unit_grade = models.CharField(max_length=12, blank=True)
    consideration_tariff = models.DecimalField(
        "special consideration tariff (%)", max_digits=4, decimal_places=1, null=True, blank=True
    )
    consideration_marks = models.PositiveSmallIntegerField("marks awarded for special consideration", default=0)
    calculated_for_absence = models.BooleanField(default=False)
    absent = models.BooleanField(
        default=False, help_text="Units: the student was absent; the unit counts 0 UMS (partial absence, '#')."
    )

    class Meta:
        ordering = ["result", "component__order"]
        constraints = [
            models.UniqueConstraint(fields=["result", "component"], name="component_score_unique_per_result"),
        ]

    def __str__(self) -> str:
        return f"{self.component.code}={self.score}"


class ResultAmendment(models.Model):
    """A change to a result after it was released: what it was, what it became, when and why. Personal data."""

    result = models.ForeignKey(Result, on_delete=models.CASCADE, related_name="amendments")
    version = models.PositiveIntegerField(help_text="The result's version after this amendment.")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=300)
    before = models.JSONField()
    after = models.JSONField()

    class Meta:
        ordering = ["result", "version"]
        constraints = [models.UniqueConstraint(fields=["result", "version"], name="amendment_unique_version")]

    def __str__(self) -> str:
        return f"{self.result} v{self.version}"


class OutgoingEmail(models.Model):
    """One email about one event: to a candidate about one result (released, or amended version N), or to an
    address another app names (an organisation's contact told that deliveries changed). Personal data.

    The outbox (pretix style): rows are written in the transaction that releases, amends or records the event,
    the send task is queued after commit, locks the row, sends only if it is still QUEUED and marks it SENT.
    A candidate's email has ``account``, ``result`` and ``result_version``, and its address and language are
    the account's when it is sent; the unique constraint on them is what makes "exactly one email per
    (candidate, release)" hold however often a job runs. Any other email has ``address``, ``language``, a
    ``source_key`` that is unique (the event it tells of) and a ``context`` for its words, rendered by the app
    that registered its kind (``results.emails.outgoing_email_kind_register``); ``user``, if set, must still be
    active when it is sent.
    """

    class Kind(models.TextChoices):
        RELEASED = "released", _("Results released")
        AMENDED = "amended", _("Result amended")
        DELIVERIES_CHANGED = "deliveries_changed", _("Results sent to an organisation, or changed")

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    # Indexed by the leading column of "outgoing_email_once_per_event" (its own index would be written again on
    # every one of the release's rows for nothing).
    account = models.ForeignKey(
        "candidates.CandidateAccount",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="emails",
        db_index=False,
    )
    result = models.ForeignKey(Result, null=True, blank=True, on_delete=models.CASCADE, related_name="emails")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    result_version = models.PositiveIntegerField(null=True, blank=True, default=1)
    # An email that is not a candidate's: where it goes, in which language, what it tells of and its words.
    # The database defaults let the release's bulk INSERT (results.emails) leave these columns out.
    address = models.EmailField(blank=True, default="", db_default="")
    language = models.CharField(max_length=10, blank=True, default="", db_default="")
    # NULL, not "": a candidate's email has no source key, and the unique index below leaves those rows out.
    source_key = models.CharField(  # noqa: DJ001
        max_length=100, null=True, blank=True, help_text="The event this email tells of; once each."
    )
    context = models.JSONField(null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sending_since = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "result", "kind", "result_version"], name="outgoing_email_once_per_event"
            ),
            # Partial, like the user's index below: a candidate's email (the release writes 5 000 at a time) has
            # neither, and an index entry for its NULL is a write that nothing ever reads.
            models.UniqueConstraint(
                fields=["source_key"], condition=Q(source_key__isnull=False), name="outgoing_email_once_per_source"
            ),
        ]
        indexes = [
            models.Index(fields=["state", "created_at"]),
            models.Index(fields=["user"], condition=Q(user__isnull=False), name="outgoing_email_user"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} email {self.pk} ({self.state})"


class ResultEvent(models.Model):
    """Something happened to some results that every derived output must follow. No personal data (ids only).

    The outbox of the domain events (docs/decisions/0009-domain-events.md): the service that releases, amends,
    holds, releases again, reschedules, corrects a name or revokes writes one row in its own transaction;
    after commit ``results.events`` sends ``result_changed`` to every listener (documents, centre results
    files, credential status lists…) and marks the row handled. A row left unhandled (a crash between commit
    and dispatch, a failing listener) is dispatched again by the beat job; listeners are idempotent.
    """

    class Kind(models.TextChoices):
        # Board staff read these in the admin only, in English, like the audit trail.
        # Imported (new, or replaced before anyone saw it), to be released at its instant: nothing shows it yet.
        READY = "ready", "Ready for its release instant"
        RELEASED = "released", "Released"
        AMENDED = "amended", "Amended"
        HELD = "held", "Held"
        RELEASED_AGAIN = "released_again", "Released again"
        RESCHEDULED = "rescheduled", "Release instant moved"
        NAME_CORRECTED = "name_corrected", "Name corrected"
        REVOKED = "revoked", "Document revoked"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    result_ids = models.JSONField(help_text="The results concerned (ids).")
    created_at = models.DateTimeField(auto_now_add=True)
    handled_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [
            models.Index(fields=["created_at"], condition=models.Q(handled_at__isnull=True), name="result_event_open")
        ]

    def __str__(self) -> str:
        return f"{self.kind} ×{len(self.result_ids)} ({'handled' if self.handled_at else 'open'})"


class ResultsUpload(models.Model):
    """A results file uploaded by board staff: checked and previewed first (a dry run), imported on a second click.

    The file's text is kept only until it is imported or rejected. No candidate data beyond the file itself.
    """

    class Status(models.TextChoices):
        CHECKING = "checking", _("Checking (dry run)")
        PREVIEWED = "previewed", _("Checked: waiting for confirmation")
        IMPORTING = "importing", _("Importing")
        DONE = "done", _("Imported")
        REJECTED = "rejected", _("Rejected: nothing was imported")
        FAILED = "failed", _("Failed: nothing was imported")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    filename = models.CharField(max_length=200)
    source = models.TextField(blank=True, help_text="The uploaded CSV; cleared once imported or rejected.")
    lines = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CHECKING)
    preview = models.JSONField(default=dict, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"


class EnquiryConsent(models.Model):
    """A candidate's consent to an enquiry about one of their results. Personal data.

    Given by the candidate in their account (``account``), or recorded by the centre from the candidate's written
    consent (``signed_by``, ``signed_on``, ``recorded_by``). The candidate is told before giving it that a grade
    can go down as well as up (docs/domain.md §17 'Post-results services').
    """

    class Source(models.TextChoices):
        ACCOUNT = "account", _("Given by the candidate in their account")
        WRITTEN = "written", _("Written consent recorded by the centre")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    result = models.ForeignKey(Result, on_delete=models.CASCADE, related_name="enquiry_consents")
    source = models.CharField(max_length=8, choices=Source.choices)
    account = models.ForeignKey(
        "candidates.CandidateAccount", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    signed_by = models.CharField(max_length=200, blank=True, help_text="Written consent: who signed it.")
    signed_on = models.DateField(null=True, blank=True, help_text="Written consent: the date it was signed.")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    given_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-given_at"]

    def __str__(self) -> str:
        return f"consent {self.public_id} ({self.source})"


class ResultEnquiry(models.Model):
    """An enquiry about a released result, for one component: raised by the centre, worked by the board. Personal data.

    received → in progress → completed with an outcome; a changed outcome is an amendment of the result through the
    results import (``before_*``/``after_*`` keep what changed), and its fee is waived when the grade changed
    (docs/domain.md §17 'Post-results services').
    """

    class Service(models.TextChoices):
        CLERICAL_RECHECK = "clerical_recheck", _("Clerical re-check")
        REVIEW_OF_MARKING = "review_of_marking", _("Review of marking")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        IN_PROGRESS = "in_progress", _("In progress")
        COMPLETED = "completed", _("Completed")

    class Outcome(models.TextChoices):
        NO_CHANGE = "no_change", _("No change")
        MARKS_CHANGED = "marks_changed", _("Marks changed, grade unchanged")
        GRADE_CHANGED = "grade_changed", _("Grade changed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    result = models.ForeignKey(Result, on_delete=models.PROTECT, related_name="enquiries")
    component = models.ForeignKey("exams.Component", on_delete=models.PROTECT, related_name="+")
    service = models.CharField(max_length=20, choices=Service.choices)
    consent = models.ForeignKey(EnquiryConsent, on_delete=models.PROTECT, related_name="enquiries")
    fee = models.DecimalField(max_digits=8, decimal_places=2, help_text="From the board's fee table, in pounds.")
    fee_waived = models.BooleanField(default=False, help_text="Waived because the grade changed.")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RECEIVED)
    outcome = models.CharField(max_length=14, choices=Outcome.choices, blank=True)
    outcome_note = models.CharField(max_length=500, blank=True, help_text="What the centre and candidate read.")
    score_before = models.PositiveSmallIntegerField()
    score_after = models.PositiveSmallIntegerField(null=True, blank=True)
    grade_before = models.CharField(max_length=40)
    grade_after = models.CharField(max_length=40, blank=True)
    result_version_after = models.PositiveIntegerField(null=True, blank=True)
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField(auto_now_add=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-raised_at"]
        verbose_name_plural = "result enquiries"
        constraints = [
            models.UniqueConstraint(
                fields=["result", "component"],
                condition=models.Q(status__in=["received", "in_progress"]),
                name="enquiry_one_open_per_component",
            ),
        ]
        indexes = [models.Index(fields=["status", "raised_at"])]

    def __str__(self) -> str:
        return f"enquiry {self.public_id} ({self.status})"
