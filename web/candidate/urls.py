"""URLs of the candidate area, mounted by results_portal/urls.py under ``results/`` (language-prefixed).

The contract's names live in several namespaces, kept as they were: ``candidates`` (account pages and
dashboard), ``results`` (the statement page) and ``verification_share`` (share links, credential); the
statement PDF is ``certificates:statement_pdf``, a namespace the root URLconf assembles from three audiences
(``certificates_patterns`` here).
"""

from django.urls import include, path

from web.candidate.views import account, deliveries, documents, post_results, security, share, statement

candidates_patterns = [
    path("", account.dashboard, name="dashboard"),
    path("register/", account.register, name="register"),
    path("confirm/<str:token>/", account.confirm_email, name="confirm_email"),
    path("login/", account.login_view, name="login"),
    path("login/second-step/", security.login_second_step, name="login_second_step"),
    path("logout/", account.logout_view, name="logout"),
    path("password-reset/", account.password_reset, name="password_reset"),
    path("password-reset/<uidb64>/<token>/", account.PasswordResetConfirm.as_view(), name="password_reset_confirm"),
    path("link/", account.link_entry, name="link_entry"),
    path("entries/<uuid:public_id>/remove/", account.unlink_entry, name="unlink_entry"),
    path("<uuid:public_id>/enquiries/", post_results.enquiries_page, name="enquiries"),
    path(
        "<uuid:public_id>/certifying-statement/",
        post_results.certifying_statement_page,
        name="certifying_statement",
    ),
    path(
        "<uuid:public_id>/certifying-statement.pdf",
        post_results.certifying_statement_pdf,
        name="certifying_statement_pdf",
    ),
    path("email/", account.email_change, name="email_change"),
    path("email/confirm/<str:token>/", account.email_change_confirm, name="email_change_confirm"),
    path("security/", security.security, name="security"),
    path("security/authenticator/", security.totp_add, name="security_totp"),
    path("security/passkey/", security.passkey_add, name="security_passkey"),
    path("security/<str:kind>/<int:pk>/remove/", security.factor_remove, name="security_remove"),
    path("security/off/", security.off, name="security_off"),
    path("security/recovery-codes/", security.codes, name="security_codes"),
    path("send/", deliveries.send_result, name="send_result"),
    path("send/invite/", deliveries.organisation_invite, name="organisation_invite"),
    path("deliveries/", deliveries.deliveries_list, name="deliveries"),
    path("deliveries/<uuid:delivery_id>/withdraw/", deliveries.delivery_withdraw, name="delivery_withdraw"),
]

results_patterns = [
    path("<uuid:public_id>/", statement.statement, name="statement"),
]

share_patterns = [
    path("<uuid:public_id>/share/", share.share_manage, name="manage"),
    path("<uuid:public_id>/share/<uuid:link_id>/revoke/", share.share_revoke, name="revoke"),
    path("<uuid:public_id>/share/credential.json", share.credential_download, name="credential"),
]

urlpatterns = [
    path("", include((results_patterns, "results"))),
    path("", include((candidates_patterns, "candidates"))),
    path("", include((share_patterns, "verification_share"))),
]

# In the ``certificates`` namespace (results_portal/urls.py), under ``results/``.
certificates_patterns = [
    path("<uuid:public_id>/statement.pdf", documents.statement_pdf, name="statement_pdf"),
]
