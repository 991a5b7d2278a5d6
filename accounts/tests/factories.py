"""factory_boy factories for users."""

import factory

from accounts.models import User

DEFAULT_PASSWORD = "a-long-test-password-77"  # noqa: S105


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}@example.org")
    email = factory.SelfAttribute("username")
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def _save(obj: User, create: bool, extracted: object, **kwargs: object) -> None:  # noqa: N805
        if create:
            obj.save()


def totp_code(key: bytes, *, steps_ahead: int = 0, step: int = 30, digits: int = 6) -> str:
    """Return the code an authenticator app holding ``key`` shows now (or ``steps_ahead`` periods from now).

    A code once accepted cannot be used again (django-otp keeps the last period used), so a login right after
    enrolment uses the next period's code, which the device accepts as within its tolerance of one period.
    """
    import time

    from django_otp.oath import TOTP

    totp = TOTP(key, step=step, digits=digits)
    totp.time = time.time() + steps_ahead * step
    return f"{totp.token():0{digits}d}"
