"""Verification URLs, in three lists mounted by results_portal/urls.py:

- ``urlpatterns`` (namespace ``verification``) under ``verify/`` inside ``i18n_patterns``;
- ``share_patterns`` (namespace ``verification_share``) under ``results/`` inside ``i18n_patterns``: the
  candidate's pages for sharing one result, ``/results/<entry public id>/share/…``;
- ``api_patterns`` (namespace ``verification_api``) under ``api/v1/``, outside ``i18n_patterns``;
- ``status_patterns`` (namespace ``credential_status``) under ``credentials/status/``, outside ``i18n_patterns``:
  the credentials' revocation and suspension lists, ``/credentials/status/<purpose>/<n>`` (status_lists.py).

The QR target ``/verify/v/<token>`` belongs to the certificates app.
"""

from django.urls import path

from . import api, status_views, views

app_name = "verification"

urlpatterns = [
    path("", views.verify, name="verify"),
    path("s/<str:token>", views.share_view, name="share_view"),
    path("keys/board.json", views.board_key, name="board_key"),
    path("keys/did.json", views.did_document, name="did_document"),
    path("achievements/<str:exam_code>", views.achievement, name="achievement"),
    path("organisations/", views.organisation_home, name="organisation_home"),
    path("organisations/register/", views.organisation_register, name="organisation_register"),
    path("organisations/confirm/<str:token>/", views.organisation_confirm, name="organisation_confirm"),
    path("organisations/login/", views.organisation_login, name="organisation_login"),
    path("organisations/logout/", views.organisation_logout, name="organisation_logout"),
    path("organisations/password-reset/", views.organisation_password_reset, name="organisation_password_reset"),
    path(
        "organisations/password-reset/<uidb64>/<token>/",
        views.OrganisationPasswordResetConfirm.as_view(),
        name="organisation_password_reset_confirm",
    ),
    path("organisations/history/", views.organisation_history, name="organisation_history"),
    path("organisations/keys/", views.api_keys, name="api_keys"),
    path("organisations/keys/<uuid:key_id>/revoke/", views.api_key_revoke, name="api_key_revoke"),
    path("organisations/bulk/", views.bulk_new, name="bulk_new"),
    path("organisations/bulk/<uuid:job_id>/", views.bulk_detail, name="bulk_detail"),
    path("organisations/bulk/<uuid:job_id>/status", views.bulk_status, name="bulk_status"),
    path("organisations/bulk/<uuid:job_id>/results.csv", views.bulk_download, name="bulk_download"),
]

share_patterns = [
    path("<uuid:public_id>/share/", views.share_manage, name="manage"),
    path("<uuid:public_id>/share/<uuid:link_id>/revoke/", views.share_revoke, name="revoke"),
    path("<uuid:public_id>/share/credential.json", views.credential_download, name="credential"),
]

api_patterns = [
    path("verifications", api.verifications, name="verifications"),
    path("schema", api.schema, name="schema"),
]

status_patterns = [
    path("<str:purpose>/<int:number>", status_views.status_list, name="status_list"),
]
