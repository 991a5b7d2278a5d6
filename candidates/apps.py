from django.apps import AppConfig


class CandidatesConfig(AppConfig):
    name = "candidates"
    verbose_name = "Candidate accounts"

    def ready(self) -> None:
        from . import receivers  # noqa: F401 - registers the receivers
