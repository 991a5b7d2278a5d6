import unicodedata
import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Centre(models.Model):
    """An authorised exam centre. Holds a contact email address (organisational, not personal)."""

    number = models.CharField(max_length=12, unique=True, help_text="Centre number, e.g. GB123.")
    name = models.CharField(max_length=200)
    country = models.CharField(max_length=100, blank=True)
    email = models.EmailField(blank=True)

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class StaffMember(models.Model):
    """A user's membership of one centre's staff, with their role. Links personal data (the user).

    The role decides what the member sees before results day (docs/domain.md §3.4, §12.4): exams officers and the head
    of centre see results from the centre's restricted release, other staff from the candidates' release.
    Exams officers manage their centre's staff. A member who left is deactivated (``deactivated_at``), never
    deleted: the audit trail names them.
    """

    class Role(models.TextChoices):
        EXAMS_OFFICER = "exams_officer", _("Exams officer")
        HEAD_OF_CENTRE = "head_of_centre", _("Head of centre")
        STAFF = "staff", _("Staff")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="centre_staff")
    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="staff")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.STAFF)
    deactivated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["centre", "user__email"]

    def __str__(self) -> str:
        return f"{self.user} @ {self.centre.number}"

    @property
    def sees_restricted_release(self) -> bool:
        """Whether this member sees results from the centre's restricted release (before the candidates)."""
        return self.role in {self.Role.EXAMS_OFFICER, self.Role.HEAD_OF_CENTRE}

    @property
    def manages_staff(self) -> bool:
        """Whether this member invites colleagues, changes their roles and deactivates leavers."""
        return self.role == self.Role.EXAMS_OFFICER


def name_fold(text: str) -> str:
    """Return a name as searches and comparisons read it: case, accents and spacing ignored ("Zoë " → "zoe")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def search_name(*, first_name: str, last_name: str) -> str:
    """Return what the centre's candidate search looks in: the first and last name, folded by ``name_fold``."""
    return name_fold(f"{first_name} {last_name}")


class Candidate(models.Model):
    """A person entered by a centre. Holds personal data: name, date of birth, email address.

    The name is the name at the time of the exam; it is what certificates print. ``search_name`` is the name
    folded for the centre's search (``search_name()``): kept by ``save()``, and set by every bulk write.
    """

    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="candidates")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    search_name = models.CharField(max_length=201, blank=True, default="", editable=False)
    date_of_birth = models.DateField()
    email = models.EmailField(blank=True)
    uci = models.CharField(
        "UCI",
        max_length=13,
        blank=True,
        help_text="Unitised qualifications: the Unique Candidate Identifier (13 characters), kept for the course.",
    )

    class Meta:
        ordering = ["last_name", "first_name"]
        indexes = [models.Index(fields=["centre", "last_name", "first_name"])]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.search_name = search_name(first_name=self.first_name, last_name=self.last_name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"first_name", "last_name"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "search_name"}
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Entry(models.Model):
    """A candidate's entry for one exam session, with its login details. Holds personal data (by relation).

    The Candidate ID is shown to the candidate; the secret number is stored only as a salted hash. Public
    URLs address an entry by ``public_id``, never by its primary key.
    """

    class Status(models.TextChoices):
        ENTERED = "entered", _("Entered")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # ``person``, not ``candidate``: ``candidate_id`` is the contract's name for the Candidate ID below.
    person = models.ForeignKey(Candidate, on_delete=models.PROTECT, related_name="entries")
    session = models.ForeignKey("exams.ExamSession", on_delete=models.PROTECT, related_name="entries")
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="entries")
    candidate_id = models.CharField("Candidate ID", max_length=16, unique=True)
    secret_hash = models.CharField(max_length=128, editable=False)
    secret_issued_at = models.DateTimeField(editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ENTERED)
    candidate_number = models.CharField(
        max_length=4, blank=True, help_text="Unitised qualifications: the centre's 4-digit candidate number."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["candidate_id"]
        verbose_name_plural = "entries"
        constraints = [
            models.UniqueConstraint(fields=["person", "session"], name="entry_unique_person_session"),
        ]
        indexes = [models.Index(fields=["centre", "session"])]

    def __str__(self) -> str:
        return self.candidate_id


class EntryImport(models.Model):
    """An entries file uploaded in the centre area and imported by a background task, with its progress.

    ``issued_sealed`` holds the issued Candidate IDs and secret numbers, encrypted with a key that is not in
    the database (accounts.sealing), until the centre has had time to download the issued CSV and the
    Confirmations of Entry: it is emptied ``ISSUED_KEPT_HOURS`` after the import
    (centres.tasks.entry_imports_purge). Holds personal data.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Imported")
        REJECTED = "rejected", _("Rejected: nothing was imported")
        FAILED = "failed", _("Failed: nothing was imported")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="imports")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(max_length=200)
    source = models.TextField(help_text="The uploaded CSV; cleared once processed.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    errors = models.JSONField(
        default=list, blank=True, help_text="The first problems of a rejected file (at most CSV_MAX_PROBLEMS)."
    )
    errors_more = models.PositiveIntegerField(default=0, help_text="How many more problems the file had.")
    issued_count = models.PositiveIntegerField(default=0)
    issued_sealed = models.TextField(blank=True)
    issued_purged_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.centre.number} {self.filename} ({self.status})"

    @property
    def problem_count(self) -> int:
        """How many problems the file had: those listed and those only counted."""
        return len(self.errors) + self.errors_more


class UnitEntry(models.Model):
    """An entry for one unit of a unitised qualification in a series. Links personal data (by relation)."""

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="unit_entries")
    unit = models.ForeignKey("exams.Component", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name, verbose_name_plural = "unit entry", "unit entries"
        ordering = ["entry", "unit__order"]
        constraints = [models.UniqueConstraint(fields=["entry", "unit"], name="unit_entry_once_per_series")]

    def __str__(self) -> str:
        return f"{self.entry} {self.unit.code}"


class CertificationEntry(models.Model):
    """A certification entry ('cash-in'): the student needs an overall qualification result in this series.

    Free, with no late fee; a late one (after results) is accepted until the series' closing date.
    """

    entry = models.OneToOneField(Entry, on_delete=models.CASCADE, related_name="certification")
    late = models.BooleanField(default=False)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "certification entries"

    def __str__(self) -> str:
        return f"cash-in {self.entry}"


class MissingResultRequest(models.Model):
    """A centre's missing or incomplete results (MIR) request, free, tracked to resolution. Personal data."""

    class Status(models.TextChoices):
        OPEN = "open", _("Received")
        IN_PROGRESS = "in_progress", _("Being investigated")
        RESOLVED = "resolved", _("Resolved")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="missing_result_requests")
    unit = models.ForeignKey("exams.Component", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    description = models.TextField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    resolution = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"MIR {self.entry} ({self.status})"
