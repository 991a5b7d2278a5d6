"""Forms of the centre area (/centre/…): staff login and setup, entries and imports, unitised entries and MIR
requests, the certificate desk, and the exams officer's staff page."""

import datetime as dt
from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.contrib.auth.password_validation import password_validators_help_text_html
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from centres.models import StaffMember
from certificates.models import CertificateAmendment, DuplicateCertificateRequest
from exams.models import Component, ExamSession
from results.models import ResultEnquiry
from results.selectors import ResultState
from results_portal.csvimport import upload_limits
from web.common.forms import PasswordsMatchMixin, PortalForm
from web.common.uploads import csv_upload_text

TOTP_HELP = _("The 6-digit code your authenticator app shows now.")


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
    """The centre's candidate list: a search, filters and a sort order, all GET parameters (a page can be shared)."""

    SORTS = {
        "session": ("-session__date", "person__last_name", "person__first_name", "candidate_id"),
        "name": ("person__last_name", "person__first_name", "-session__date", "candidate_id"),
        "candidate_id": ("candidate_id",),
        "exam": ("session__exam__name", "-session__date", "person__last_name", "person__first_name", "candidate_id"),
    }

    q = forms.CharField(
        label=_("Search candidates"),
        required=False,
        max_length=100,
        help_text=_("A Candidate ID, or a name: first, last or both, in any order (accents are not needed)."),
    )
    session = forms.TypedChoiceField(label=_("Exam session"), required=False, coerce=int, empty_value=None)
    exam = forms.ChoiceField(label=_("Exam"), required=False)
    result = forms.ChoiceField(
        label=_("Result"),
        required=False,
        choices=[
            ("", _("Any")),
            (ResultState.RELEASED, _("Released")),
            (ResultState.PENDING, _("Q — pending")),
            (ResultState.NOT_RELEASED, _("Not yet released")),
        ],
    )
    registered = forms.ChoiceField(
        label=_("Results Online"),
        required=False,
        choices=[("", _("Any")), ("yes", _("Registered")), ("no", _("Not registered"))],
    )
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("session", _("Exam date, newest first")),
            ("name", _("Name")),
            ("candidate_id", _("Candidate ID")),
            ("exam", _("Exam")),
        ],
    )

    def __init__(self, *args: Any, sessions: Sequence[ExamSession] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        session_field = cast(forms.TypedChoiceField, self.fields["session"])
        session_field.choices = [("", gettext("All sessions"))] + [
            (str(s.pk), f"{s.exam.name} — {date_format(s.date, 'DATE_FORMAT')}") for s in sessions
        ]
        exams = sorted({(s.exam.code, s.exam.name) for s in sessions}, key=lambda exam: exam[1])
        cast(forms.ChoiceField, self.fields["exam"]).choices = [("", gettext("All exams")), *exams]


class ReissueForm(PortalForm):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        help_text=_("Recorded in the audit trail, e.g. 'candidate lost the Confirmation of Entry'."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    detach = forms.BooleanField(
        label=_("Also detach this entry from the Results Online account it is linked to"),
        required=False,
        help_text=_(
            "When someone else added the entry to their account with leaked details. The account holder is told, "
            "and the candidate can then register with the new secret number."
        ),
    )


class StaffPasswordResetForm(PortalForm):
    email = forms.EmailField(label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "username"}))


class LockLiftForm(PortalForm):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        help_text=_("Recorded in the audit trail, e.g. 'the candidate phoned: someone else tried their number'."),
        widget=forms.Textarea(attrs={"rows": 2}),
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
        text = csv_upload_text(upload, limits=upload_limits())
        self.filename = upload.name
        return text


# --- Unitised qualifications ----------------------------------------------------------------------------
def _unit_label(unit: Component) -> str:
    kind = gettext("mandatory") if unit.mandatory else gettext("optional")
    return f"{unit.code} {unit.name} ({kind})"


class UnitEntriesForm(PortalForm):
    units = forms.MultipleChoiceField(
        label=_("Units entered in this series"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, units: Sequence[Component], withdrawal_last_day: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.MultipleChoiceField, self.fields["units"])
        field.choices = [(u.code, _unit_label(u)) for u in units]
        field.help_text = gettext(
            "Units can be added at any time and withdrawn until %(date)s, the day before the exam."
        ) % {"date": date_format(withdrawal_last_day, "DATE_FORMAT")}


class MissingResultForm(PortalForm):
    unit = forms.ChoiceField(
        label=_("Unit"),
        required=False,
        help_text=_("Leave empty if the request is about the qualification result or several units."),
    )
    description = forms.CharField(
        label=_("What is missing or incomplete"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Say what you expected and what the results show, and what you have checked."),
    )

    def __init__(self, *args: Any, units: Sequence[Component], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", gettext("No particular unit"))] + [(u.code, _unit_label(u)) for u in units]
        cast(forms.ChoiceField, self.fields["unit"]).choices = choices


# --- The certificate desk (plain Django forms: their labels end with a colon) ------------------------------
class SearchForm(PortalForm):
    q = forms.CharField(label=_("Candidate ID or name"), required=False, max_length=100)


class AmendmentRequestForm(PortalForm):
    reason = forms.ChoiceField(
        label=_("Why is the name wrong?"),
        choices=CertificateAmendment.Reason.choices,
        help_text=_("Only a misspelling can be corrected; the other reasons are refused by the rule above."),
    )
    corrected_first_name = forms.CharField(label=_("First name, correctly spelt"), max_length=100)
    corrected_last_name = forms.CharField(label=_("Last name, correctly spelt"), max_length=100)
    explanation = forms.CharField(
        label=_("What is wrong"),
        required=False,
        max_length=300,
        help_text=_("For example: 'Lopez' should be 'López'. Recorded with the request."),
    )


class ConfirmForm(PortalForm):
    """A POST with a CSRF token and nothing else: the button is the whole form."""


# --- Enquiries about results and duplicate certificates ---------------------------------------------------
class WrittenConsentForm(PortalForm):
    signed_by = forms.CharField(
        label=_("Signed by"),
        max_length=200,
        help_text=_("The name of the candidate (or their parent or guardian) who signed the consent."),
    )
    signed_on = forms.DateField(
        label=_("Date signed"), widget=forms.DateInput(attrs={"type": "date"}), help_text=_("For example 2026-09-14.")
    )


class EnquiryRaiseForm(PortalForm):
    component = forms.ChoiceField(label=_("Component"))
    service = forms.ChoiceField(label=_("Service"), choices=ResultEnquiry.Service.choices)

    def __init__(self, *args: Any, components: Sequence[Component], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["component"]).choices = [(c.code, c.name) for c in components]


class EnquiryFilterForm(PortalForm):
    session = forms.ChoiceField(label=_("Session"), required=False)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *ResultEnquiry.Status.choices]
    )
    service = forms.ChoiceField(
        label=_("Service"), required=False, choices=[("", _("Any service")), *ResultEnquiry.Service.choices]
    )

    def __init__(self, *args: Any, sessions: Sequence[ExamSession], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", gettext("Any session")), *((str(s.public_id), str(s)) for s in sessions)]
        cast(forms.ChoiceField, self.fields["session"]).choices = choices


class DuplicateRequestForm(PortalForm):
    reason = forms.ChoiceField(
        label=_("Why is a duplicate needed?"), choices=DuplicateCertificateRequest.Reason.choices
    )
    in_writing = forms.BooleanField(
        label=_("The candidate told the centre in writing that the certificate did not arrive"), required=False
    )
    trace_reference = forms.CharField(
        label=_("Postal trace reference"),
        required=False,
        max_length=60,
        help_text=_("Lost in the post: the reference of the trace the centre asked the postal service for."),
    )
    original_returned = forms.BooleanField(
        label=_("The damaged original has been returned to the centre"), required=False
    )


# --- Staff (exams officers) ------------------------------------------------------------------------------
def role_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        label=_("Role"),
        choices=StaffMember.Role.choices,
        help_text=_(
            "Exams officers and the head of centre see results from the restricted release; staff see them with "
            "the candidates. Exams officers also manage staff accounts."
        ),
    )


class StaffInviteForm(PortalForm):
    email = forms.EmailField(
        label=_("Email"),
        help_text=_("Their own work address: it becomes their login, and the set-up link is sent there."),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    role = role_field()


class StaffRoleForm(PortalForm):
    role = role_field()
