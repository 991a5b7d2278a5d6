"""Form base classes of every audience's pages."""

from django import forms
from django.utils.translation import gettext_lazy as _

PASSWORDS_DIFFER = _("The two passwords are not the same.")


class PortalForm(forms.Form):
    """A form whose labels read as written ("Candidate ID", not "Candidate ID:")."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]


class PasswordsMatchMixin(forms.Form):
    """Check that ``password`` and ``confirm_password`` are the same."""

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        if cleaned.get("password") and cleaned.get("password") != cleaned.get("confirm_password"):
            self.add_error("confirm_password", PASSWORDS_DIFFER)
        return cleaned
