"""Password resets by email, shared by candidates and verifier organisations: asking for a link, and the page
the link opens.

Each area says where to go afterwards, which page asks for a new link, its base template, and which lockouts a
successful reset lifts (whoever can read the registered mailbox has shown who they are).
"""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.cache import cache
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import User


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Choose a new password from the emailed link (single use: the token dies with the old password)."""

    template_name = "accounts/password_reset_confirm.html"
    post_reset_login = False
    base_template = "base.html"
    new_link_url_name = ""  # the page that asks for a new link, by URL name

    def locks_lift(self, user: User) -> None:
        """Lift the login lockouts of ``user`` (their password has just been reset from their mailbox)."""

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["label_suffix"] = ""  # labels read as written, as on every PortalForm ("New password", no colon)
        return kwargs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(base_template=self.base_template, new_link_url=reverse(self.new_link_url_name))
        return context

    def form_valid(self, form: Any) -> HttpResponse:
        if self.user is not None:
            self.locks_lift(self.user)
        messages.success(self.request, _("Your password has been changed. Log in with your new password."))
        return super().form_valid(form)


RESET_REQUEST_EVERY_SECONDS = 600


def password_reset_request_page(
    request: HttpRequest,
    *,
    form: Form,
    field: str,
    normalise: Callable[[str], str],
    throttle_prefix: str,
    send: Callable[[str], None],
    template: str,
    done_template: str,
) -> HttpResponse:
    """Answer the page that asks for a reset link: the same answer whether or not the account exists.

    ``send`` queues the email for the normalised identifier, at most once per identifier every 10 minutes, so
    the form cannot be used to flood a mailbox.
    """
    if request.method == "POST" and form.is_valid():
        identifier = normalise(form.cleaned_data[field])
        if cache.add(f"{throttle_prefix}:{identifier}", 1, RESET_REQUEST_EVERY_SECONDS):
            send(identifier)
        return render(request, done_template)
    return render(request, template, {"form": form})
