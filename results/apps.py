from django.apps import AppConfig


class ResultsConfig(AppConfig):
    name = "results"
    verbose_name = "Results"

    def ready(self) -> None:
        from . import approvals, receivers, signals  # noqa: F401 - registers the receivers and approval kinds
