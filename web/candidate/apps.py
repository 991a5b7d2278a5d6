from django.apps import AppConfig


class CandidateAreaConfig(AppConfig):
    """The candidate area as an app only so that its listeners and tasks load in every process (web and workers):
    the pages drawn ahead follow the domain events about results (``web.candidate.receivers``)."""

    name = "web.candidate"
    label = "candidate_area"

    def ready(self) -> None:
        from . import dashboard, receivers  # noqa: F401 - the receiver; the dashboard's query, for ``migrate``
