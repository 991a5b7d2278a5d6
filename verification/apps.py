from django.apps import AppConfig


class VerificationConfig(AppConfig):
    name = "verification"

    def ready(self) -> None:
        from . import receivers  # noqa: F401 - registers the receivers
