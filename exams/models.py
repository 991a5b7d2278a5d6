import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

MODE_DATES_REVERSED = "The last date in this mode comes before the first."


class Exam(models.Model):
    """A qualification the board awards (e.g. B2 First, or a unitised qualification). No personal data."""

    class Family(models.TextChoices):
        SCALE = "scale", _("Scale score (Cambridge English Scale)")
        UNITISED = "unitised", _("Unitised (uniform mark scale)")
        LEGACY = "legacy", _("Raw-mark papers weighted into an aggregate")

    code = models.CharField(max_length=12, unique=True, help_text="Exam code used in CSV files, e.g. FCE.")
    name = models.CharField(max_length=120)
    family = models.CharField(max_length=10, choices=Family.choices, default=Family.SCALE)
    cefr_target = models.CharField(
        "CEFR target", max_length=2, blank=True, help_text="The CEFR level the exam is mapped to, e.g. B2."
    )
    for_schools = models.BooleanField("'for Schools' version", default=False)
    certificate_exam = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="certificate_variants",
        help_text="The exam whose certificate this one shares ('for Schools' versions give the same certificate).",
    )
    verifiable_online = models.BooleanField(default=True)
    # Unitised qualifications only (docs/domain.md §8 'Unitised qualifications (UMS)').
    size = models.CharField(max_length=60, blank=True, help_text="e.g. 'Certificate (180 GLH)'.")
    ums_max_total = models.PositiveIntegerField("total UMS maximum", null=True, blank=True)
    qualification_boundaries = models.JSONField(
        null=True,
        blank=True,
        help_text="Fixed total-UMS minima for Pass, Merit, Distinction, Distinction*: e.g. [240, 300, 360, 420].",
    )
    optional_units_required = models.PositiveSmallIntegerField(
        default=0, help_text="How many optional units a certification entry needs besides every mandatory unit."
    )
    # Availability (docs/domain.md §16 'Availability of exams'): no session or entry outside these, nor outside the
    # dates of its mode (``ExamMode``).
    offered_from = models.DateField(
        null=True, blank=True, help_text="First exam date the board offers; empty: no limit known."
    )
    offered_until = models.DateField(
        null=True, blank=True, help_text="Last exam date the board offers; empty: still offered."
    )
    offered_source = models.CharField(
        max_length=300,
        blank=True,
        help_text="Where the exam's dates come from (a public page, or the board's decision).",
    )

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def certificate_name(self) -> str:
        """Return the exam name printed on certificates (the shared exam's name for 'for Schools')."""
        return self.certificate_exam.name if self.certificate_exam is not None else self.name


class Component(models.Model):
    """A skill (scale-score exams), a raw-mark paper, or a unit of a unitised qualification. No personal data."""

    class Kind(models.TextChoices):
        SKILL = "skill", _("Skill (scale score)")
        PAPER = "paper", _("Paper (raw mark, weighted to 40)")
        EXAMINED_UNIT = "examined_unit", _("Examined unit")
        NEA_UNIT = "nea_unit", _("Non-exam assessment (NEA) unit")

    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="components")
    code = models.CharField(
        max_length=20, help_text="reading, writing, listening, speaking, use_of_english or a unit code."
    )
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.SKILL)
    order = models.PositiveSmallIntegerField(default=0)
    max_mark = models.PositiveIntegerField(
        null=True, blank=True, help_text="Raw maximum for papers and units (for NEA: the number of criteria)."
    )
    ums_max = models.PositiveIntegerField("UMS maximum", null=True, blank=True)
    ums_boundaries = models.JSONField(
        "UMS boundaries", null=True, blank=True, help_text="Fixed unit UMS minima: [pass, merit, distinction]."
    )
    mandatory = models.BooleanField(default=True, help_text="Units: every certification entry needs it.")

    class UmsCap(models.TextChoices):
        NONE = "", _("No cap: full UMS at full raw marks")
        AS = "as", _("AS rule: full UMS from A + 2 × (A − B)")
        A2 = "a2", _("A2 rule: full UMS from A* + (A* − A)")

    ums_cap_rule = models.CharField(
        "UMS cap",
        max_length=2,
        choices=UmsCap.choices,
        default=UmsCap.NONE,
        blank=True,
        help_text="Units: the raw mark from which full UMS is given, worked out from the series' two top boundaries.",
    )

    class Meta:
        ordering = ["exam", "order", "code"]
        constraints = [models.UniqueConstraint(fields=["exam", "code"], name="component_unique_code_per_exam")]

    def __str__(self) -> str:
        return f"{self.exam.code} {self.name}"


class ExamSession(models.Model):
    """One sitting of an exam on a date in a mode, with its results release window. No personal data."""

    class Mode(models.TextChoices):
        PAPER = "paper", _("Paper-based")
        COMPUTER = "computer", _("Computer-based")
        # Cambridge English Qualifications Digital: results in 5–10 days (docs/domain.md §16.3).
        DIGITAL = "digital", _("Digital")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    exam = models.ForeignKey(Exam, on_delete=models.PROTECT, related_name="sessions")
    date = models.DateField("exam date")
    mode = models.CharField(max_length=8, choices=Mode.choices)
    window_start = models.DateTimeField(
        "results release window opens", blank=True, help_text="Left empty, it is computed from the date and mode."
    )
    window_end = models.DateTimeField(
        "results release window closes",
        blank=True,
        help_text="All results are available by this instant; its date is printed on the Confirmation of Entry.",
    )
    centre_release_at = models.DateTimeField(
        "restricted release to centres",
        null=True,
        blank=True,
        help_text="Unitised series: centres see results from this instant (e.g. 00:01 on 12 August); "
        "candidates from the window's opening (e.g. 08:00 on 13 August). Empty: the same instant for both.",
    )
    certification_closing_date = models.DateField(
        "late certification closing date",
        null=True,
        blank=True,
        help_text="Unitised series: last day for late certification entries (e.g. 24 September).",
    )
    enquiry_deadline = models.DateField(
        "enquiries about results deadline",
        null=True,
        blank=True,
        help_text="Last day (UK time) on which a centre can raise an enquiry about a result of this session. "
        "Empty: enquiries cannot be raised yet.",
    )

    class Meta:
        ordering = ["-date", "exam__code"]
        constraints = [
            models.UniqueConstraint(fields=["exam", "date", "mode"], name="session_unique_exam_date_mode"),
            models.CheckConstraint(
                condition=models.Q(window_end__gt=models.F("window_start")), name="session_window_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.exam.code} {self.date:%Y-%m-%d} ({self.get_mode_display()})"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.window_start is None or self.window_end is None:
            from .services import release_window_default

            start, end = release_window_default(exam_date=self.date, mode=self.mode)
            self.window_start = self.window_start or start
            self.window_end = self.window_end or end
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def clean(self) -> None:
        super().clean()
        # A new session only: a session already held keeps its date (docs/domain.md §16).
        if self._state.adding and self.exam_id is not None and self.date is not None:
            from .availability import session_refusal  # it reads these models

            refusal = session_refusal(exam=self.exam, day=self.date, mode=self.mode)
            if refusal is not None:
                raise ValidationError({"date": refusal})


class ExamMode(models.Model):
    """A mode an exam is offered in, with the first and last exam dates of that mode. No personal data.

    Rules: docs/domain.md §16 'Availability of exams'. An exam with no modes listed is offered in every mode; one
    with modes listed only in those. Empty dates: the exam's own dates hold for the mode.
    """

    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="modes")
    mode = models.CharField(max_length=8, choices=ExamSession.Mode.choices)
    offered_from = models.DateField(
        null=True, blank=True, help_text="First exam date in this mode; empty: the exam's own first date."
    )
    offered_until = models.DateField(
        null=True, blank=True, help_text="Last exam date in this mode; empty: as long as the exam is offered."
    )
    source = models.CharField(
        max_length=300, blank=True, help_text="Where these dates come from (a public page, or the board's decision)."
    )

    class Meta:
        ordering = ["exam", "mode"]
        constraints = [
            models.UniqueConstraint(fields=["exam", "mode"], name="exam_mode_unique"),
            models.CheckConstraint(
                condition=models.Q(offered_from__isnull=True)
                | models.Q(offered_until__isnull=True)
                | models.Q(offered_until__gte=models.F("offered_from")),
                name="exam_mode_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.exam.code} {self.get_mode_display()}"

    def clean(self) -> None:
        super().clean()
        if self.offered_from and self.offered_until and self.offered_until < self.offered_from:
            raise ValidationError({"offered_until": MODE_DATES_REVERSED})


class GradeBoundaryTable(models.Model):
    """One version of a session's grade boundaries (per component or unit where they are per unit).

    Versions are never edited: a change is a new version, and the newest version is the one in force. Who
    made it, when and why is kept on the row and in the audit trail. No personal data (the author only).
    """

    class Kind(models.TextChoices):
        AGGREGATE = "aggregate", _("Aggregate thresholds (papers weighted to 40)")
        UNIT_RAW = "unit_raw", _("Unit raw-mark boundaries (pass, merit, distinction)")
        PROFILE = "profile", _("Standardised-score profile (Exceptional, Good, Borderline)")

    session = models.ForeignKey(ExamSession, on_delete=models.CASCADE, related_name="boundary_tables")
    component = models.ForeignKey(
        Component, null=True, blank=True, on_delete=models.CASCADE, related_name="boundary_tables"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    version = models.PositiveIntegerField(editable=False)
    boundaries = models.JSONField(help_text="[[label, minimum], …] from the highest grade down.")
    source = models.CharField(max_length=300, blank=True, help_text="Where the figures come from.")
    reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["session", "component", "kind", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "component", "kind", "version"],
                condition=models.Q(component__isnull=False),
                name="boundary_table_unique_version_per_component",
            ),
            models.UniqueConstraint(
                fields=["session", "kind", "version"],
                condition=models.Q(component__isnull=True),
                name="boundary_table_unique_version_per_session",
            ),
        ]

    def __str__(self) -> str:
        part = f" {self.component.code}" if self.component is not None else ""
        return f"{self.session}{part} {self.get_kind_display()} v{self.version}"


class ServiceFee(models.Model):
    """The board's fee for a post-results service in a calendar year, in pounds sterling. No personal data.

    Every enquiry and order takes its fee from this table for the year in which it is made
    (docs/domain.md §17 'Post-results services'); an order made in a year without a fee is refused.
    """

    class Service(models.TextChoices):
        CLERICAL_RECHECK = "clerical_recheck", _("Clerical re-check")
        REVIEW_OF_MARKING = "review_of_marking", _("Review of marking")
        CERTIFYING_STATEMENT = "certifying_statement", _("Certifying statement")
        DUPLICATE_CERTIFICATE = "duplicate_certificate", _("Duplicate certificate")

    service = models.CharField(max_length=24, choices=Service.choices)
    year = models.PositiveSmallIntegerField(help_text="The calendar year in which the service is ordered.")
    amount = models.DecimalField(max_digits=8, decimal_places=2, help_text="In pounds sterling.")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )

    class Meta:
        ordering = ["-year", "service"]
        constraints = [
            models.UniqueConstraint(fields=["service", "year"], name="service_fee_unique_per_year"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="service_fee_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.get_service_display()} {self.year}: £{self.amount}"
