"""Document URLs. The project includes this module at the root of its language-prefixed patterns, so the
paths here are the contract's: ``/results/<entry>/statement.pdf``, ``/verify/v/<token>`` and the centre's
certificate desk under ``/centre/certificates/``."""

from django.urls import path

from . import views

app_name = "certificates"

urlpatterns = [
    path("results/<uuid:public_id>/statement.pdf", views.statement_pdf, name="statement_pdf"),
    path("verify/v/<str:token>", views.verify, name="verify"),
    path("centre/certificates/", views.centre_list, name="centre_list"),
    path("centre/certificates/entries/<uuid:public_id>/", views.centre_entry, name="centre_entry"),
    path(
        "centre/certificates/entries/<uuid:public_id>/amend/",
        views.centre_amendment_request,
        name="centre_amendment_request",
    ),
    path(
        "centre/certificates/entries/<uuid:public_id>/certifying-statement/",
        views.centre_order_create,
        name="centre_order_create",
    ),
    path(
        "centre/certificates/documents/<uuid:document_uuid>.pdf",
        views.centre_document_pdf,
        name="centre_document_pdf",
    ),
    path(
        "centre/certificates/amendments/<uuid:public_id>/returned/",
        views.centre_amendment_returned,
        name="centre_amendment_returned",
    ),
    path(
        "centre/certificates/amendments/<uuid:public_id>/issue/",
        views.centre_amendment_issue,
        name="centre_amendment_issue",
    ),
    path("centre/certificates/orders/<uuid:public_id>/paid/", views.centre_order_paid, name="centre_order_paid"),
]
