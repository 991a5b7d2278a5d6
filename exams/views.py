"""Public tools about exams: the score converter."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from grading.standardised import CONVERTER_TABLES, convert_standardised

from .forms import ScoreConverterForm


@require_GET
def score_converter(request: HttpRequest) -> HttpResponse:
    """Convert an old standardised score (out of 100) to the Cambridge English Scale, showing the table used."""
    form = ScoreConverterForm(request.GET if "score" in request.GET else None)
    conversion = None
    if form.is_bound and form.is_valid():
        conversion = convert_standardised(exam_code=form.cleaned_data["exam"], score=form.cleaned_data["score"])
    table = CONVERTER_TABLES.get(request.GET.get("exam", "")) or next(iter(CONVERTER_TABLES.values()))
    return render(request, "exams/score_converter.html", {"form": form, "conversion": conversion, "table": table})
