from django.apps import AppConfig


class VerificationConfig(AppConfig):
    name = "verification"

    def ready(self) -> None:
        from results.emails import outgoing_email_kind_register
        from results.models import OutgoingEmail

        from . import receivers, selectors  # noqa: F401 - the receivers; the API's queries, for ``migrate``
        from .deliveries import deliveries_changed_email

        # The portal's email outbox sends the organisations' emails; this says what they say.
        outgoing_email_kind_register(kind=OutgoingEmail.Kind.DELIVERIES_CHANGED, render=deliveries_changed_email)
