"""Forms of the verifier area (/verify/…): the verification form and the organisations' pages."""

import json
from typing import Any

from django import forms
from django.contrib.auth.password_validation import password_validators_help_text_html
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from verification.deliveries import STATUS_LABELS
from verification.models import VerifierOrganisation
from verification.services import bulk_limits
from web.common.forms import SECRET_NUMBER_DIGITS, SECRET_NUMBER_LENGTH_MESSAGES, PasswordsMatchMixin, PortalForm
from web.common.uploads import csv_upload_text

VERIFIER_CANDIDATE_ID_HELP = _("Letters and numbers, as the candidate gave them to you (for example SIR094701).")
VERIFIER_SECRET_NUMBER_HELP = _("The candidate's 4-digit secret number (for example 8482).")


class VerifyForm(PortalForm):
    candidate_id = forms.CharField(
        label=_("Candidate ID"),
        max_length=16,
        help_text=VERIFIER_CANDIDATE_ID_HELP,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )
    secret_number = forms.CharField(
        label=_("Secret number"),
        min_length=4,
        max_length=4,
        help_text=VERIFIER_SECRET_NUMBER_HELP,
        error_messages=SECRET_NUMBER_LENGTH_MESSAGES,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "pattern": "[0-9]{4}"}),
    )

    def clean_secret_number(self) -> str:
        value: str = self.cleaned_data["secret_number"].strip()
        if not (value.isascii() and value.isdigit()):
            raise ValidationError(SECRET_NUMBER_DIGITS, code="not_digits")
        return value


class OrganisationRegisterForm(PasswordsMatchMixin, PortalForm):
    name = forms.CharField(
        label=_("Organisation name"),
        max_length=200,
        help_text=_("As candidates will see it when you verify their results."),
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    country = forms.CharField(
        label=_("Country"), max_length=100, widget=forms.TextInput(attrs={"autocomplete": "country-name"})
    )
    email = forms.EmailField(label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        help_text=password_validators_help_text_html,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    confirm_password = forms.CharField(
        label=_("Confirm password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )


class OrganisationLoginForm(PortalForm):
    email = forms.EmailField(label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "username"}))
    password = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class OrganisationPasswordResetForm(PortalForm):
    email = forms.EmailField(label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "username"}))


class ApiKeyForm(PortalForm):
    name = forms.CharField(
        label=_("Key name"),
        max_length=100,
        help_text=_("So you can tell your keys apart, for example 'admissions system'."),
    )


class BulkUploadForm(PortalForm):
    file = forms.FileField(
        label=_("Candidates file (CSV)"),
        help_text=_(
            "Two columns: candidate_id, secret_number. At most 5,000 rows. Keep the secret numbers as text so that "
            "a leading 0 is not lost."
        ),
    )

    def clean_file(self) -> str:
        upload = self.cleaned_data["file"]
        text = csv_upload_text(upload, limits=bulk_limits())
        self.filename = upload.name or "upload.csv"
        return text


CREDENTIAL_MAX_BYTES = 256 * 1024
CREDENTIAL_NOT_JSON = _("This is not a credential file: paste or upload the JSON of an Open Badges credential.")
CREDENTIAL_TOO_LARGE = _("A credential file is at most 256 KB.")
CREDENTIAL_MISSING = _("Paste the credential, or choose its file.")


class CredentialCheckForm(PortalForm):
    """A credential to check, pasted or uploaded (``credential.json`` as candidates download it)."""

    text = forms.CharField(
        label=_("Credential (JSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        help_text=_("Paste the whole file, from the first { to the last }."),
    )
    file = forms.FileField(label=_("Or choose the file"), required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        upload = cleaned.get("file")
        if upload is not None and upload.size > CREDENTIAL_MAX_BYTES:
            raise forms.ValidationError(CREDENTIAL_TOO_LARGE)
        raw = upload.read() if upload is not None else (cleaned.get("text") or "").encode()
        if not raw.strip():
            raise forms.ValidationError(CREDENTIAL_MISSING)
        if len(raw) > CREDENTIAL_MAX_BYTES:
            raise forms.ValidationError(CREDENTIAL_TOO_LARGE)
        try:
            credential = json.loads(raw.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError) as error:
            raise forms.ValidationError(CREDENTIAL_NOT_JSON) from error
        if not isinstance(credential, dict):
            raise forms.ValidationError(CREDENTIAL_NOT_JSON)
        cleaned["credential"] = credential
        return cleaned


# --- Results sent by candidates (web/verifier/delivery_views.py) ----------------------------------------------
class InboxFilterForm(PortalForm):
    """The inbox's filters (GET): every one optional."""

    state = forms.ChoiceField(
        label=_("Read"), required=False, choices=[("", _("All")), ("new", _("New")), ("opened", _("Opened"))]
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), *((key, label) for key, label in STATUS_LABELS.items())],
    )
    exam = forms.CharField(label=_("Exam code"), required=False, max_length=10, help_text=_("For example FCE."))
    name = forms.CharField(label=_("Candidate name"), required=False, max_length=100)

    def clean_exam(self) -> str:
        return str(self.cleaned_data["exam"]).strip().upper()


class WebhookEndpointForm(PortalForm):
    url = forms.URLField(
        label=_("Address (URL)"),
        max_length=500,
        assume_scheme="https",
        help_text=_("An https:// address on the public internet that accepts POST requests."),
    )


class DirectoryProfileForm(forms.ModelForm):
    """What candidates see of the organisation in the directory; listed only once the board has verified it."""

    class Meta:
        model = VerifierOrganisation
        fields = ["listed", "kind", "accepts"]
        help_texts = {
            "listed": _(
                "Candidates can find you by name and country and send you their results. Only organisations the "
                "board has verified are shown."
            )
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["kind"].required = True
