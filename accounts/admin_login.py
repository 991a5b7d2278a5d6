"""The board's admin login (``/admin/login/``): username, password and TOTP code behind the brute-force guard.

django-otp's admin form checks the password first and then asks for a device, so its answer told a guesser when
the password was right (and listed the user's devices), and nothing limited the guesses. Here the three are one
credential: ``accounts.guard`` counts every wrong try per account, per network and globally, locks the account
as it does every other login, and the answer is the same whichever part was wrong. The user's own device is the
one whose code matches: nothing to choose.
"""

from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_otp import match_token

from .guard import GuardRefusal, client_ip, guard_check, password_matches
from .models import User

WRONG_BOARD_LOGIN = "The username, password and authentication code do not match a board staff account."


class BoardLoginForm(AdminAuthenticationForm):
    """Log board staff in to the admin with username, password and the current TOTP code, in one guarded try."""

    otp_token = forms.CharField(
        label=_("Authentication code"),
        min_length=6,
        max_length=8,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )

    def clean(self) -> dict[str, Any]:
        username = (self.cleaned_data.get("username") or "").strip()
        password = self.cleaned_data.get("password") or ""
        token = (self.cleaned_data.get("otp_token") or "").strip()
        if not (username and password and token):
            raise ValidationError(WRONG_BOARD_LOGIN, code="invalid_login")
        found: dict[str, Any] = {}

        def verify(identifier: str) -> User | None:
            user = User.objects.filter(username__iexact=username).first()
            if not password_matches(user=user, password=password) or user is None or not user.is_staff:
                return None
            device = match_token(user, token)
            if device is None:
                return None
            found["device"] = device
            return user

        ip = client_ip(self.request) if self.request is not None else ""
        try:
            user = guard_check(kind="password", identifier=username, ip=ip, purpose="board_login", verify=verify)
        except GuardRefusal as refusal:
            failed = refusal.reason == "failed" and not refusal.retry_after
            raise ValidationError(WRONG_BOARD_LOGIN if failed else refusal.message, code="invalid_login") from None
        # django-otp marks the session verified with this device when the login signal fires.
        user.otp_device = found["device"]  # type: ignore[attr-defined]
        user.backend = "django.contrib.auth.backends.ModelBackend"  # type: ignore[attr-defined]
        self.user_cache = user
        self.confirm_login_allowed(user)
        return self.cleaned_data
