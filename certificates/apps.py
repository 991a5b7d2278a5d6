from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "certificates"

    def ready(self) -> None:
        from . import receivers, selectors  # noqa: F401 - registers the receivers and the release page figures
