from django.apps import AppConfig


class ResultsConfig(AppConfig):
    name = "results"
    verbose_name = "Results"

    def ready(self) -> None:
        # Registers the receivers, the approval kinds and the enquiries' refusal rules.
        from . import approvals, enquiries, receivers, signals  # noqa: F401
