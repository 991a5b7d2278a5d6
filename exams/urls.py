from django.urls import path

from . import views

app_name = "exams"

urlpatterns = [
    path("score-converter/", views.score_converter, name="score_converter"),
]
