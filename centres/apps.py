from django.apps import AppConfig


class CentresConfig(AppConfig):
    name = "centres"
    verbose_name = "Centres and entries"

    def ready(self) -> None:
        from . import receivers  # noqa: F401 - registers the receivers
