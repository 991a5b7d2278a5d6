"""Form base classes of every audience's pages."""

from django import forms
from django.utils.translation import gettext_lazy as _

PASSWORDS_DIFFER = _("The two passwords are not the same.")
# Every wrong secret number (too short, too long, not digits) gets the one message, naming the field.
SECRET_NUMBER_DIGITS = _("The secret number has exactly 4 digits.")
SECRET_NUMBER_LENGTH_MESSAGES = {"min_length": SECRET_NUMBER_DIGITS, "max_length": SECRET_NUMBER_DIGITS}


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


# --- Two-step verification (web/common/two_step.py) -------------------------------------------------------------
class SecondStepCodeForm(PortalForm):
    """The second step of a login with a code: from the authenticator app, or a recovery code."""

    code = forms.CharField(
        label=_("Code"),
        max_length=24,
        help_text=_("The 6-digit code your authenticator app shows now, or one of your recovery codes."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )


class TotpConfirmForm(PortalForm):
    """The code an authenticator app shows once it has the key: proof that it was set up right."""

    code = forms.CharField(
        label=_("Code from the app"),
        max_length=8,
        help_text=_("The 6-digit code the app shows for this account."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}),
    )


class PasskeyForm(PortalForm):
    """What the browser answered for a passkey (filled in by static/js/passkeys.js)."""

    credential = forms.CharField(required=False, max_length=20_000, widget=forms.HiddenInput)


class PasskeyAddForm(PasskeyForm):
    """A new passkey and the name that tells it apart from the account's others."""

    name = forms.CharField(
        label=_("Name of the passkey"),
        max_length=60,
        help_text=_("So that you can tell your passkeys apart, for example “My phone”."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class PasswordConfirmForm(PortalForm):
    """The account's password, asked before a change that weakens its protection."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
