from django.apps import AppConfig


class ResultsConfig(AppConfig):
    name = "results"
    verbose_name = "Results"

    def ready(self) -> None:
        from results_portal.lookups import register

        register()  # ``field__any=[…]``, for the bulk paths' long lists of ids
        # Registers the receivers, the approval kinds and the enquiries' refusal rules.
        from . import approvals, enquiries, receivers, signals  # noqa: F401
