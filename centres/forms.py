from django import forms
from django.contrib.auth.password_validation import password_validators_help_text_html
from django.utils.translation import gettext_lazy as _

from candidates.forms import PasswordsMatchMixin, PortalForm

TOTP_HELP = _("The 6-digit code your authenticator app shows now.")
MAX_UPLOAD_BYTES = 10 * 1024 * 1024


def totp_field() -> forms.CharField:
    return forms.CharField(
        label=_("Authentication code"),
        min_length=6,
        max_length=8,
        help_text=TOTP_HELP,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class StaffLoginForm(PortalForm):
    email = forms.EmailField(label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "username"}))
    password = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    otp_token = totp_field()


class StaffSetupForm(PasswordsMatchMixin, PortalForm):
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        help_text=password_validators_help_text_html,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    confirm_password = forms.CharField(
        label=_("Confirm password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    otp_token = totp_field()


class CandidateSearchForm(PortalForm):
    q = forms.CharField(
        label=_("Search candidates"),
        required=False,
        max_length=100,
        help_text=_("Candidate ID, or part of a first or last name."),
    )


class ReissueForm(PortalForm):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        help_text=_("Recorded in the audit trail, e.g. 'candidate lost the Confirmation of Entry'."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class EntryImportForm(PortalForm):
    file = forms.FileField(
        label=_("Entries file (CSV)"),
        help_text=_(
            "Columns: centre_number, candidate_id, first_name, last_name, date_of_birth, email, exam_code, "
            "session_date, mode. Leave candidate_id empty to have one generated."
        ),
    )

    def clean_file(self) -> str:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 10 MB. Split it into smaller files."))
        try:
            text: str = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise forms.ValidationError(
                _("The file is not UTF-8 text. Save it as 'CSV UTF-8' and try again.")
            ) from error
        self.filename = upload.name
        return text
