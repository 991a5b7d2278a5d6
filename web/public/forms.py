"""Forms of the public pages: the score converter."""

from django import forms
from django.utils.translation import gettext_lazy as _

from exams.models import Exam
from grading.standardised import CONVERTER_TABLES
from web.common.forms import PortalForm


class ScoreConverterForm(PortalForm):
    exam = forms.ChoiceField(label=_("Exam"))
    score = forms.IntegerField(
        label=_("Standardised score"),
        min_value=0,
        max_value=100,
        help_text=_("The score out of 100 on a Statement of Results issued before the Cambridge English Scale."),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        names = dict(Exam.objects.filter(code__in=CONVERTER_TABLES).values_list("code", "name"))
        self.fields["exam"].choices = [(code, names.get(code, code)) for code in CONVERTER_TABLES]  # type: ignore[attr-defined]
