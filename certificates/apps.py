from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "certificates"

    def ready(self) -> None:
        # Registers the receivers, the release page figures and the refusal rules a kept refusal is shown by.
        from . import duplicates, receivers, selectors, services  # noqa: F401
