from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import CertificateAmendment, CertifyingStatementOrder


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Candidate ID or name"), required=False, max_length=100)


class AmendmentRequestForm(forms.Form):
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


class ConfirmForm(forms.Form):
    """A POST with a CSRF token and nothing else: the button is the whole form."""


class CertifyingStatementOrderForm(forms.Form):
    payment_method = forms.ChoiceField(
        label=_("Payment method"), choices=CertifyingStatementOrder.PaymentMethod.choices
    )
    amount = forms.DecimalField(label=_("Amount (GBP)"), max_digits=8, decimal_places=2, min_value=Decimal("0.01"))
    payment_reference = forms.CharField(
        label=_("Payment reference"),
        required=False,
        max_length=60,
        help_text=_("Postal order number, card receipt or bank transfer reference, if you have it now."),
    )


class MarkPaidForm(forms.Form):
    payment_reference = forms.CharField(
        label=_("Payment reference"),
        required=False,
        max_length=60,
        help_text=_("Postal order number, card receipt or bank transfer reference."),
    )
