"""The board's credential status lists (W3C Bitstring Status List v1.0), public and outside the language prefixes.

Kept apart from ``views``: the logic is in ``verification.status_lists``; this only serves it.
"""

from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.http import require_safe

from verification import status_lists


@require_safe
def status_list(request: HttpRequest, purpose: str, number: int) -> JsonResponse:
    """Publish a signed ``BitstringStatusListCredential`` (no personal data): any site may read it (CORS)."""
    credential = status_lists.status_list_credential(purpose=purpose, number=number)
    if credential is None:
        raise Http404("No such status list.")
    response = JsonResponse(credential)
    response["Content-Type"] = "application/ld+json"
    response["Cache-Control"] = f"public, max-age={status_lists.HTTP_MAX_AGE}"
    response["Access-Control-Allow-Origin"] = "*"
    return response
