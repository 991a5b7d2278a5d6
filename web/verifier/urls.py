"""URLs of the verifier area, mounted by results_portal/urls.py under ``verify/`` (language-prefixed).

Names are in the ``verification`` namespace; the QR target ``/verify/v/<token>`` keeps its name
``certificates:verify``, in the namespace the root URLconf assembles from three audiences
(``certificates_patterns`` here). ``status_patterns`` (namespace ``credential_status``) are mounted under
``credentials/status/``, outside the language prefixes: the credentials' status lists (``message``,
``revocation`` and ``suspension``).
"""

from django.urls import include, path

from web.common import views as common_views
from web.verifier import delivery_views, security_views, status_views, views

verification_patterns = [
    path("", views.verify, name="verify"),
    path("s/<str:token>", views.share_view, name="share_view"),
    path("credential/", views.credential_checker, name="credential_check"),
    path("keys/board.json", views.board_key, name="board_key"),
    path("keys/did.json", common_views.did_document, name="did_document"),
    path("achievements/<str:exam_code>", views.achievement, name="achievement"),
    path("organisations/", views.organisation_home, name="organisation_home"),
    path("organisations/register/", views.organisation_register, name="organisation_register"),
    path("organisations/confirm/<str:token>/", views.organisation_confirm, name="organisation_confirm"),
    path("organisations/login/", views.organisation_login, name="organisation_login"),
    path(
        "organisations/login/second-step/",
        security_views.organisation_login_second_step,
        name="organisation_login_second_step",
    ),
    path("organisations/logout/", views.organisation_logout, name="organisation_logout"),
    path("organisations/password-reset/", views.organisation_password_reset, name="organisation_password_reset"),
    path(
        "organisations/password-reset/<uidb64>/<token>/",
        views.OrganisationPasswordResetConfirm.as_view(),
        name="organisation_password_reset_confirm",
    ),
    path("organisations/history/", views.organisation_history, name="organisation_history"),
    path("organisations/security/", security_views.organisation_security, name="organisation_security"),
    path(
        "organisations/security/authenticator/",
        security_views.organisation_totp_add,
        name="organisation_security_totp",
    ),
    path(
        "organisations/security/passkey/",
        security_views.organisation_passkey_add,
        name="organisation_security_passkey",
    ),
    path(
        "organisations/security/<str:kind>/<int:pk>/remove/",
        security_views.organisation_factor_remove,
        name="organisation_security_remove",
    ),
    path("organisations/security/off/", security_views.organisation_off, name="organisation_security_off"),
    path(
        "organisations/security/recovery-codes/",
        security_views.organisation_codes,
        name="organisation_security_codes",
    ),
    path("organisations/keys/", views.api_keys, name="api_keys"),
    path("organisations/keys/<uuid:key_id>/revoke/", views.api_key_revoke, name="api_key_revoke"),
    path("organisations/bulk/", views.bulk_new, name="bulk_new"),
    path("organisations/bulk/<uuid:job_id>/", views.bulk_detail, name="bulk_detail"),
    path("organisations/bulk/<uuid:job_id>/status", views.bulk_status, name="bulk_status"),
    path("organisations/bulk/<uuid:job_id>/results.csv", views.bulk_download, name="bulk_download"),
    path("organisations/inbox/", delivery_views.inbox, name="inbox"),
    path("organisations/inbox.csv", delivery_views.inbox_csv, name="inbox_csv"),
    path("organisations/inbox/<uuid:delivery_id>/", delivery_views.delivery_detail, name="delivery_detail"),
    path("organisations/webhooks/", delivery_views.webhook_endpoints, name="webhooks"),
    path("organisations/webhooks/<uuid:endpoint_id>/rotate/", delivery_views.webhook_rotate, name="webhook_rotate"),
    path("organisations/webhooks/<uuid:endpoint_id>/remove/", delivery_views.webhook_remove, name="webhook_remove"),
    path("organisations/directory/", delivery_views.directory_profile, name="directory_profile"),
]

urlpatterns = [path("", include((verification_patterns, "verification")))]

# In the ``certificates`` namespace (results_portal/urls.py), under ``verify/``.
certificates_patterns = [
    path("v/<str:token>", views.document_verify, name="verify"),
]

status_patterns = [
    path("<str:purpose>/<int:number>", status_views.status_list, name="status_list"),
]
