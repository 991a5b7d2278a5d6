from django import forms
from django.contrib.auth.password_validation import password_validators_help_text_html
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

CANDIDATE_ID_HELP = _("Letters and numbers, as on your Confirmation of Entry (for example SIR094701).")
SECRET_NUMBER_HELP = _("The 4-digit number on your Confirmation of Entry (for example 8482).")
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


def candidate_id_field() -> forms.CharField:
    return forms.CharField(
        label=_("Candidate ID"),
        max_length=16,
        help_text=CANDIDATE_ID_HELP,
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )


def secret_number_field() -> forms.CharField:
    return forms.CharField(
        label=_("Secret number"),
        min_length=4,
        max_length=4,
        help_text=SECRET_NUMBER_HELP,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "pattern": "[0-9]{4}"}),
    )


class RegisterForm(PasswordsMatchMixin, PortalForm):
    candidate_id = candidate_id_field()
    secret_number = secret_number_field()
    email = forms.EmailField(
        label=_("Email"),
        help_text=_("We send a link to confirm it, and tell you here when your results are released."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        help_text=password_validators_help_text_html,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    confirm_password = forms.CharField(
        label=_("Confirm password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean_secret_number(self) -> str:
        value: str = self.cleaned_data["secret_number"].strip()
        if not value.isdigit():
            raise ValidationError(SECRET_NUMBER_HELP, code="not_digits")
        return value


class LoginForm(PortalForm):
    candidate_id = candidate_id_field()
    password = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class LinkEntryForm(PortalForm):
    candidate_id = candidate_id_field()
    secret_number = secret_number_field()

    clean_secret_number = RegisterForm.clean_secret_number


class PasswordResetRequestForm(PortalForm):
    candidate_id = candidate_id_field()


class EmailChangeForm(PortalForm):
    new_email = forms.EmailField(label=_("New email"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
