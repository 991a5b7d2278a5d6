import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class Result(models.Model):
    """The graded result of one entry. Holds personal data (a person's result), embargoed until released.

    Never read a result directly for display: the visibility selector applies the embargo and ownership.
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
    released_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["entry__candidate_id"]
        indexes = [models.Index(fields=["status", "released_at"])]

    def __str__(self) -> str:
        return f"{self.entry} {self.grade}"


class ComponentScore(models.Model):
    """One component's score in a result (scale score or raw mark). Holds personal data, embargoed."""

    result = models.ForeignKey(Result, on_delete=models.CASCADE, related_name="component_scores")
    component = models.ForeignKey("exams.Component", on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["result", "component__order"]
        constraints = [
            models.UniqueConstraint(fields=["result", "component"], name="component_score_unique_per_result"),
        ]

    def __str__(self) -> str:
        return f"{self.component.code}={self.score}"
