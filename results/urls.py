from django.urls import path

from . import views

app_name = "results"

urlpatterns = [
    path("<uuid:public_id>/", views.statement, name="statement"),
]
