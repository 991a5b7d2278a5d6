"""The one gate of the API (/api/v1/…): an anonymous client, or a verifier organisation's API key.

No cookies and no session. A request without ``Authorization`` is anonymous (lower limits); a request with
``Authorization: Bearer <key>`` acts for the key's organisation; any other ``Authorization`` (another scheme,
an unknown or revoked key) is refused the same way: JSON 401 with ``WWW-Authenticate``.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext_lazy as _

from verification import services
from verification.models import VerifierOrganisation

INVALID_KEY = _("The API key is not valid. Send 'Authorization: Bearer <key>' with a live key, or no Authorization.")

View = Callable[..., HttpResponse]


def error_response(message: str, *, status: int, **extra: Any) -> JsonResponse:
    """Return the API's error body ``{"error": message, …}``, never cached."""
    response = JsonResponse({"error": message, **extra}, status=status)
    response["Cache-Control"] = "no-store"
    return response


def api_client(view: View) -> View:
    """Let in anonymous clients and live API keys; set ``request.api_organisation`` (None when anonymous)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        organisation = None
        authorization = request.headers.get("Authorization")
        if authorization is not None:
            scheme, _space, key = authorization.partition(" ")
            organisation = services.api_key_authenticate(key=key.strip()) if scheme.lower() == "bearer" else None
            if organisation is None:
                response = error_response(str(INVALID_KEY), status=401)
                response["WWW-Authenticate"] = 'Bearer realm="verifications"'
                return response
        request.api_organisation = organisation  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapper


def request_organisation(request: HttpRequest) -> VerifierOrganisation | None:
    """Return the organisation whose key this request sent, or None for an anonymous client (``api_client``)."""
    return request.api_organisation  # type: ignore[attr-defined, no-any-return]
