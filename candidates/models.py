from django.conf import settings
from django.db import models


class CandidateAccount(models.Model):
    """A candidate's Results Online account. Holds personal data: the user's email address (on the user).

    One account may hold several entries (retakes, other exams): each is linked with its Candidate ID and
    secret number. The account is usable once its email address is confirmed.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="candidate_account")
    email_confirmed_at = models.DateTimeField(null=True, blank=True)
    language = models.CharField(
        max_length=10, default="en", help_text="The language the candidate used to register; emails use it."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"account {self.pk} ({self.user.email})"

    @property
    def is_confirmed(self) -> bool:
        return self.email_confirmed_at is not None


class LinkedEntry(models.Model):
    """An entry held by an account; an entry belongs to at most one account. Links personal data."""

    account = models.ForeignKey(CandidateAccount, on_delete=models.CASCADE, related_name="links")
    entry = models.OneToOneField("centres.Entry", on_delete=models.CASCADE, related_name="account_link")
    linked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["linked_at"]
        verbose_name_plural = "linked entries"

    def __str__(self) -> str:
        return f"{self.entry_id} → {self.account_id}"
