from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from . import guard, sessions  # noqa: F401 - the logout receiver; the guard's query, for ``migrate``
        from .backends import remember_account

        user_logged_in.connect(remember_account, dispatch_uid="accounts_remember_candidate_account")
