from django.urls import include, path

from . import views

app_name = "centres"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.staff_login, name="login"),
    path("logout/", views.staff_logout, name="logout"),
    path("setup/<uidb64>/<token>/", views.staff_setup, name="staff_setup"),
    path("entries/<uuid:public_id>/", views.entry_detail, name="entry_detail"),
    path("entries/<uuid:public_id>/reissue/", views.entry_reissue, name="entry_reissue"),
    path("entries/<uuid:public_id>/confirmation.pdf", views.entry_confirmation_pdf, name="entry_confirmation_pdf"),
    path("entries/<uuid:public_id>/results/", views.entry_results_print, name="entry_results_print"),
    path("results/", views.results_list, name="results"),
    path("results.csv", views.results_csv, name="results_csv"),
    path("imports/", views.import_new, name="import_new"),
    path("unitised/", include("centres.unitised_urls")),
    path("imports/<uuid:public_id>/", views.import_detail, name="import_detail"),
    path("imports/<uuid:public_id>/status", views.import_status, name="import_status"),
    path("imports/<uuid:public_id>/issued.csv", views.import_issued_csv, name="import_issued_csv"),
    path(
        "imports/<uuid:public_id>/confirmations.pdf", views.import_confirmations_pdf, name="import_confirmations_pdf"
    ),
]
