"""URLs of the centre area, mounted by results_portal/urls.py under ``centre/`` (language-prefixed).

Names are in the ``centres`` namespace (the unitised pages too: ``centres:unitised_…``); the certificate desk
(``/centre/certificates/…``) keeps its ``certificates`` namespace, which the root URLconf assembles from three
audiences (``certificates_patterns`` here).
"""

from django.urls import URLPattern, URLResolver, include, path

from web.centre.views import area, certificates, enquiries, staff, unitised

# Under /centre/unitised/, in the ``centres`` namespace.
unitised_patterns = [
    path("", unitised.unitised_home, name="unitised_home"),
    path("series/<uuid:series_id>/entries/", unitised.unitised_entries, name="unitised_entries"),
    path("series/<uuid:series_id>/results/", unitised.unitised_results, name="unitised_results"),
    path("series/<uuid:series_id>/grade-boundaries/", unitised.unitised_boundaries, name="unitised_boundaries"),
    path(
        "series/<uuid:series_id>/special-consideration.csv",
        unitised.unitised_special_consideration_csv,
        name="unitised_special_consideration_csv",
    ),
    path("series/<uuid:series_id>/results-files/", unitised.unitised_results_files, name="unitised_results_files"),
    path(
        "series/<uuid:series_id>/results-files/<slug:kind>.csv",
        unitised.unitised_results_file_download,
        name="unitised_results_file_download",
    ),
    path("entries/<uuid:public_id>/units/", unitised.unitised_units_set, name="unitised_units_set"),
    path("entries/<uuid:public_id>/cash-in/", unitised.unitised_cash_in, name="unitised_cash_in"),
    path("entries/<uuid:public_id>/slip/", unitised.unitised_slip, name="unitised_slip"),
    path("entries/<uuid:public_id>/cumulative.pdf", unitised.unitised_cumulative_pdf, name="unitised_cumulative_pdf"),
    path("entries/<uuid:public_id>/mir/", unitised.unitised_mir_new, name="unitised_mir_new"),
    path("mir/", unitised.unitised_mir_list, name="unitised_mir_list"),
]


centres_patterns: list[URLPattern | URLResolver] = [
    path("", area.home, name="home"),
    path("login/", area.staff_login, name="login"),
    path("password-reset/", area.staff_password_reset, name="password_reset"),
    path("password-reset/<uidb64>/<token>/", area.StaffPasswordResetConfirm.as_view(), name="password_reset_confirm"),
    path("logout/", area.staff_logout, name="logout"),
    path("setup/<uidb64>/<token>/", area.staff_setup, name="staff_setup"),
    path("entries/<uuid:public_id>/", area.entry_detail, name="entry_detail"),
    path("entries/<uuid:public_id>/reissue/", area.entry_reissue, name="entry_reissue"),
    path("entries/<uuid:public_id>/lock/", area.entry_lock_lift, name="entry_lock_lift"),
    path("entries/<uuid:public_id>/confirmation.pdf", area.entry_confirmation_pdf, name="entry_confirmation_pdf"),
    path("entries/<uuid:public_id>/results/", area.entry_results_print, name="entry_results_print"),
    path("results/", area.results_list, name="results"),
    path("results.csv", area.results_csv, name="results_csv"),
    path("imports/", area.import_new, name="import_new"),
    path("staff/", staff.staff_list, name="staff"),
    path("staff/<uuid:public_id>/role/", staff.staff_role, name="staff_role"),
    path("staff/<uuid:public_id>/deactivate/", staff.staff_deactivate, name="staff_deactivate"),
    path("staff/<uuid:public_id>/reactivate/", staff.staff_reactivate, name="staff_reactivate"),
    path("staff/<uuid:public_id>/setup-link/", staff.staff_setup_link, name="staff_setup_link"),
    path("unitised/", include(unitised_patterns)),
    path("enquiries/", enquiries.enquiry_list, name="enquiry_list"),
    path("enquiries.csv", enquiries.enquiry_csv, name="enquiry_csv"),
    path("enquiries/entries/<uuid:public_id>/", enquiries.enquiry_entry, name="enquiry_entry"),
    path("enquiries/entries/<uuid:public_id>/consent/", enquiries.enquiry_consent, name="enquiry_consent"),
    path("enquiries/entries/<uuid:public_id>/raise/", enquiries.enquiry_raise, name="enquiry_raise"),
    path("imports/<uuid:public_id>/", area.import_detail, name="import_detail"),
    path("imports/<uuid:public_id>/status", area.import_status, name="import_status"),
    path("imports/<uuid:public_id>/issued.csv", area.import_issued_csv, name="import_issued_csv"),
    path("imports/<uuid:public_id>/confirmations.pdf", area.import_confirmations_pdf, name="import_confirmations_pdf"),
]

urlpatterns = [path("", include((centres_patterns, "centres")))]

# In the ``certificates`` namespace (results_portal/urls.py), under ``centre/``.
certificates_patterns = [
    path("certificates/", certificates.centre_list, name="centre_list"),
    path("certificates/entries/<uuid:public_id>/", certificates.centre_entry, name="centre_entry"),
    path(
        "certificates/entries/<uuid:public_id>/amend/",
        certificates.centre_amendment_request,
        name="centre_amendment_request",
    ),
    path(
        "certificates/entries/<uuid:public_id>/duplicate/",
        certificates.centre_duplicate_request,
        name="centre_duplicate_request",
    ),
    path(
        "certificates/documents/<uuid:document_uuid>.pdf",
        certificates.centre_document_pdf,
        name="centre_document_pdf",
    ),
    path(
        "certificates/amendments/<uuid:public_id>/returned/",
        certificates.centre_amendment_returned,
        name="centre_amendment_returned",
    ),
    path(
        "certificates/amendments/<uuid:public_id>/issue/",
        certificates.centre_amendment_issue,
        name="centre_amendment_issue",
    ),
]
