"""Forms of the candidate area (/results/…)."""

from typing import Any

from django import forms
from django.contrib.auth.password_validation import password_validators_help_text_html, validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from verification.deliveries import NOT_IN_DIRECTORY, NOTHING_CHOSEN_ORGANISATIONS, NOTHING_CHOSEN_RESULTS
from verification.models import Delivery, ShareLink
from web.common.forms import SECRET_NUMBER_DIGITS, SECRET_NUMBER_LENGTH_MESSAGES, PasswordsMatchMixin, PortalForm

CANDIDATE_ID_HELP = _("Letters and numbers, as on your Confirmation of Entry (for example SIR094701).")
SECRET_NUMBER_HELP = _("The 4-digit number on your Confirmation of Entry (for example 8482).")


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
        error_messages=SECRET_NUMBER_LENGTH_MESSAGES,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "pattern": "[0-9]{4}"}),
    )


DATE_OF_BIRTH_HELP = _("Day, month and year, for example 17/05/2006: as your exam centre recorded it.")
# One plain text field (a browser's date picker orders day and month by its own locale): day first, as on the
# Confirmation of Entry, or ISO.
DATE_OF_BIRTH_FORMATS = ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d %m %Y", "%Y-%m-%d"]


def date_of_birth_field() -> forms.DateField:
    return forms.DateField(
        label=_("Date of birth"),
        help_text=DATE_OF_BIRTH_HELP,
        input_formats=DATE_OF_BIRTH_FORMATS,
        error_messages={"invalid": DATE_OF_BIRTH_HELP},
        widget=forms.TextInput(attrs={"autocomplete": "bday", "inputmode": "numeric", "spellcheck": "false"}),
    )


class RegisterForm(PasswordsMatchMixin, PortalForm):
    candidate_id = candidate_id_field()
    secret_number = secret_number_field()
    date_of_birth = date_of_birth_field()
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
        if not (value.isascii() and value.isdigit()):
            raise ValidationError(SECRET_NUMBER_DIGITS, code="not_digits")
        return value

    def clean(self) -> dict[str, object]:
        """Check the password with every other field, so one submission reports every problem at once.

        The service checks it again (``account_register``); without this the password's problems showed only
        once everything else was right.
        """
        cleaned = super().clean()
        password = cleaned.get("password")
        if isinstance(password, str) and password:
            user = User(username="candidate", email=str(cleaned.get("email") or ""))
            try:
                validate_password(password, user)
            except ValidationError as error:
                self.add_error("password", error)
        return cleaned


class LoginForm(PortalForm):
    candidate_id = candidate_id_field()
    password = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class LinkEntryForm(PortalForm):
    candidate_id = candidate_id_field()
    secret_number = secret_number_field()
    date_of_birth = date_of_birth_field()

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


class ShareLinkForm(PortalForm):
    expiry = forms.ChoiceField(
        label=_("The link works for"),
        choices=ShareLink.Expiry.choices,
        initial=ShareLink.Expiry.MONTH,
        widget=forms.RadioSelect,
    )
    organisation_name = forms.CharField(
        label=_("Who is it for? (optional)"),
        required=False,
        max_length=200,
        help_text=_("For your own list, for example the university you are applying to."),
    )


class EnquiryConsentForm(PortalForm):
    understood = forms.BooleanField(
        label=_(
            "I understand that after an enquiry my marks and grade can go down as well as up, and I consent to my "
            "exam centre raising an enquiry about this result."
        ),
        error_messages={"required": _("Tick the box to give your consent.")},
    )


class CertifyingStatementOrderForm(PortalForm):
    lost = forms.BooleanField(
        label=_("I have lost my certificate and want a certifying statement in its place."),
        error_messages={"required": _("Tick the box to order the certifying statement.")},
    )


# --- Send my result (web/candidate/views/deliveries.py) ---------------------------------------------------------
class DirectorySearchForm(PortalForm):
    """Search the directory of organisations (GET)."""

    name = forms.CharField(label=_("Organisation name"), required=False, max_length=100)
    country = forms.CharField(label=_("Country"), required=False, max_length=100)
    # The result the candidate came to send (from its "Send this result" link), kept chosen across searches.
    entry = forms.UUIDField(required=False, widget=forms.HiddenInput)


class SendResultForm(PortalForm):
    """Which released results, to which organisations of the directory, disclosing what."""

    results = forms.MultipleChoiceField(
        label=_("Results to send"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": NOTHING_CHOSEN_RESULTS},
    )
    organisations = forms.MultipleChoiceField(
        label=_("Send to"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": NOTHING_CHOSEN_ORGANISATIONS, "invalid_choice": NOT_IN_DIRECTORY},
    )
    disclosure = forms.ChoiceField(
        label=_("What to disclose"),
        choices=Delivery.Disclosure.choices,
        initial=Delivery.Disclosure.MINIMAL,
        widget=forms.RadioSelect,
    )

    def __init__(
        self, *args: Any, results: list[tuple[str, str]], organisations: list[tuple[str, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["results"].choices = results  # type: ignore[attr-defined]
        self.fields["organisations"].choices = organisations  # type: ignore[attr-defined]


class OrganisationInviteForm(PortalForm):
    """Invite an organisation that is not in the directory yet."""

    organisation_name = forms.CharField(label=_("Organisation name"), max_length=200)
    email = forms.EmailField(
        label=_("Its email address"),
        help_text=_("For example its admissions office. We email it an invitation to register; nothing else."),
    )
