"""Views published at more than one address: the board's DID document (public at /.well-known/did.json and
the verifier area's /verify/keys/did.json)."""

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from verification import credentials


@require_GET
def did_document(request: HttpRequest) -> JsonResponse:
    """Publish the board's DID document (``did:web``), naming its signing key."""
    response = JsonResponse(credentials.did_document())
    response["Cache-Control"] = "public, max-age=3600"
    response["Access-Control-Allow-Origin"] = "*"  # browser-based verifiers fetch it from other origins
    return response
