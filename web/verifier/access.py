"""The one gate of the verifier area: the organisations' pages (/verify/organisations/…).

Every organisation page that needs a login uses ``organisation_required``, and refuses the same way: a visitor
who is not logged in as a verifier organisation with a confirmed email is sent to the organisations' login
page (``?next=`` the page asked for); a bulk check or API key that is not the organisation's own answers 404.
The verification form, share links and QR pages are public: they only note the organisation when one is
logged in (``verification.selectors.organisation_for_request``).
"""

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from verification import selectors
from verification.models import VerifierOrganisation

View = Callable[..., HttpResponse]


def organisation_required(view: View) -> View:
    """Allow only a logged-in verifier organisation with a confirmed email; set ``request.verifier_organisation``."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        organisation = selectors.organisation_for_request(request)
        if organisation is None:
            target = reverse("verification:organisation_login")
            return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
        request.verifier_organisation = organisation  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapper


def request_organisation(request: HttpRequest) -> VerifierOrganisation:
    """Return the organisation making this request (set by ``organisation_required``)."""
    return request.verifier_organisation  # type: ignore[attr-defined, no-any-return]
