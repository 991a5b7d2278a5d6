"""The page an emailed password-reset link opens, shared by candidates and verifier organisations.

Each area says where to go afterwards, which page asks for a new link, its base template, and which lockouts a
successful reset lifts (whoever can read the registered mailbox has shown who they are).
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from .models import User


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Choose a new password from the emailed link (single use: the token dies with the old password)."""

    template_name = "accounts/password_reset_confirm.html"
    post_reset_login = False
    base_template = "base.html"
    new_link_url_name = ""  # the page that asks for a new link, by URL name

    def locks_lift(self, user: User) -> None:
        """Lift the login lockouts of ``user`` (their password has just been reset from their mailbox)."""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(base_template=self.base_template, new_link_url=reverse(self.new_link_url_name))
        return context

    def form_valid(self, form: Any) -> HttpResponse:
        if self.user is not None:
            self.locks_lift(self.user)
        messages.success(self.request, _("Your password has been changed. Log in with your new password."))
        return super().form_valid(form)
