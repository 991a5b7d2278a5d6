"""URLs of the centre's unitised qualification pages, included under /centre/unitised/ in the centres namespace.

No ``app_name``: centres/urls.py includes this list inside its own namespace, so the names are
``centres:unitised_…``.
"""

from django.urls import path

from . import unitised_views as views

urlpatterns = [
    path("", views.unitised_home, name="unitised_home"),
    path("series/<uuid:series_id>/entries/", views.unitised_entries, name="unitised_entries"),
    path("series/<uuid:series_id>/results/", views.unitised_results, name="unitised_results"),
    path("series/<uuid:series_id>/grade-boundaries/", views.unitised_boundaries, name="unitised_boundaries"),
    path(
        "series/<uuid:series_id>/special-consideration.csv",
        views.unitised_special_consideration_csv,
        name="unitised_special_consideration_csv",
    ),
    path("series/<uuid:series_id>/edi/", views.unitised_edi, name="unitised_edi"),
    path("series/<uuid:series_id>/edi/<slug:kind>.csv", views.unitised_edi_download, name="unitised_edi_download"),
    path("entries/<uuid:public_id>/units/", views.unitised_units_set, name="unitised_units_set"),
    path("entries/<uuid:public_id>/cash-in/", views.unitised_cash_in, name="unitised_cash_in"),
    path("entries/<uuid:public_id>/slip/", views.unitised_slip, name="unitised_slip"),
    path("entries/<uuid:public_id>/cumulative.pdf", views.unitised_cumulative_pdf, name="unitised_cumulative_pdf"),
    path("entries/<uuid:public_id>/mir/", views.unitised_mir_new, name="unitised_mir_new"),
    path("mir/", views.unitised_mir_list, name="unitised_mir_list"),
]
