"""The verification API (docs/domain.md §14.4): ``POST /api/v1/verifications`` and its OpenAPI 3.1 schema.

No cookies and no session: an anonymous client, or an organisation with ``Authorization: Bearer <key>``.
CSRF does not apply (nothing rides on a cookie). Every error is JSON ``{"error": …}``; a 400 names the
bad ``field`` (``body`` when the body itself is not a JSON object).
"""

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from accounts.guard import GuardRefusal, client_ip
from verification import services
from verification.models import Verification
from verification.selectors import RELEASED, VerifiedEntry
from web.api.access import api_client, error_response, request_organisation

MAX_BODY_BYTES = 4096

BODY_NOT_JSON = _("The request body must be a JSON object.")
FIELD_MISSING = _("This field is required.")
FIELD_NOT_STRING = _("This field must be a string.")
CANDIDATE_ID_FORMAT = _("A Candidate ID has letters and digits only, at most 16.")
SECRET_NUMBER_FORMAT = _('A secret number is a string of exactly 4 digits, for example "8482".')
POST_ONLY = _("Use POST with a JSON body.")
GET_ONLY = _("Use GET.")


class BadRequest(Exception):
    def __init__(self, *, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _request_data(request: HttpRequest) -> tuple[str, str]:
    """Return the Candidate ID and secret number of a request body, or raise ``BadRequest`` naming the field."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    # Checked before reading: a body over Django's upload limit would otherwise be an HTML 400.
    if declared > MAX_BODY_BYTES or len(request.body) > MAX_BODY_BYTES:
        raise BadRequest(field="body", message=str(BODY_NOT_JSON))
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise BadRequest(field="body", message=str(BODY_NOT_JSON)) from error
    if not isinstance(data, dict):
        raise BadRequest(field="body", message=str(BODY_NOT_JSON))
    values: dict[str, str] = {}
    for field in ("candidate_id", "secret_number"):
        if field not in data:
            raise BadRequest(field=field, message=str(FIELD_MISSING))
        if not isinstance(data[field], str):
            raise BadRequest(field=field, message=str(FIELD_NOT_STRING))
        values[field] = data[field]
    if not services.CANDIDATE_ID_PATTERN.fullmatch(values["candidate_id"]):
        raise BadRequest(field="candidate_id", message=str(CANDIDATE_ID_FORMAT))
    if not services.SECRET_NUMBER_PATTERN.fullmatch(values["secret_number"]):
        raise BadRequest(field="secret_number", message=str(SECRET_NUMBER_FORMAT))
    return values["candidate_id"], values["secret_number"]


def verified_json(verified: VerifiedEntry) -> dict[str, Any]:
    """Return the 200 body of the API for a verified entry (the contract's shape)."""
    results = []
    for facts in verified.results:
        released = facts.status == RELEASED
        results.append(
            {
                "exam_code": facts.exam_code,
                "exam_name": facts.exam_name,
                "session_date": facts.session_date.isoformat(),
                "status": facts.status,
                "overall_score": facts.overall_score if released else None,
                "result": facts.result,
                "cefr_level": facts.cefr_level if released else None,
                "components": {c.code: c.score for c in facts.components} if released else None,
            }
        )
    return {"candidate_id": verified.candidate_id, "candidate_name": verified.candidate_name, "results": results}


def _post_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Answer anything but POST with a JSON 405, before the API key is looked at."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method != "POST":
            response = error_response(str(POST_ONLY), status=405)
            response["Allow"] = "POST"
            return response
        return view(request, *args, **kwargs)

    return wrapper


@csrf_exempt
@never_cache
@_post_only
@api_client
def verifications(request: HttpRequest) -> HttpResponse:
    """Verify one result: ``POST {"candidate_id", "secret_number"}`` → 200, 400, 401, 404 or 429 (JSON)."""
    organisation = request_organisation(request)
    try:
        candidate_id, secret_number = _request_data(request)
    except BadRequest as bad:
        return error_response(bad.message, status=400, field=bad.field)
    try:
        verified = services.verification_lookup(
            candidate_id=candidate_id,
            secret_number=secret_number,
            ip=client_ip(request),
            channel=Verification.Channel.API,
            organisation=organisation,
        )
    except GuardRefusal as error:
        refusal = services.verifier_refusal(error)
        if not refusal.throttled:
            return error_response(refusal.message, status=404)
        response = error_response(refusal.message, status=429)
        response["Retry-After"] = str(refusal.retry_after)
        return response
    response = JsonResponse(verified_json(verified))
    response["Cache-Control"] = "no-store"
    return response


# --- OpenAPI 3.1 ------------------------------------------------------------------------------------
_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "string", "description": "What went wrong, for a person to read."}},
}
_NULLABLE_INT = {"type": ["integer", "null"]}


def _json_error(description: str, schema: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": schema or {"$ref": "#/components/schemas/Error"}}},
        **extra,
    }


API_SCHEMA: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Results Portal verification API",
        "version": "1.0.0",
        "description": (
            "Check a candidate's result with the Candidate ID and secret number the candidate gave you. "
            "Unsuccessful tries are limited per Candidate ID (locked after 5), per network and overall; an "
            "organisation's API key raises the per-network limit. An unknown Candidate ID and a wrong secret "
            "number get the same 404 answer."
        ),
    },
    "paths": {
        "/api/v1/verifications": {
            "post": {
                "operationId": "verifyResult",
                "summary": "Verify a candidate's result",
                "security": [{}, {"bearerAuth": []}],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/VerificationRequest"},
                            "examples": {
                                "demo": {"value": {"candidate_id": "SIR094701", "secret_number": "8482"}},
                            },
                        }
                    },
                },
                "responses": {
                    "200": {
                        "description": "The details match: the candidate's name and results.",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/VerificationResponse"}}
                        },
                    },
                    "400": _json_error(
                        "The body is not a JSON object, or a field is missing, not a string or malformed.",
                        {"$ref": "#/components/schemas/BadRequest"},
                    ),
                    "401": _json_error(
                        "An Authorization header was sent but its key is not a live API key.",
                        headers={"WWW-Authenticate": {"schema": {"type": "string"}}},
                    ),
                    "404": _json_error("No entry has this Candidate ID and secret number (which, is never said)."),
                    "429": _json_error(
                        "Too many unsuccessful tries: for this Candidate ID, from your network, or overall.",
                        headers={
                            "Retry-After": {
                                "required": True,
                                "description": "Seconds to wait before trying again.",
                                "schema": {"type": "string", "pattern": "^[0-9]+$"},
                            }
                        },
                    ),
                },
            }
        }
    },
    "components": {
        "securitySchemes": {
            "bearerAuth": {
                "type": "http",
                "scheme": "bearer",
                "description": "Optional: an organisation's API key, made on its verifier account page.",
            }
        },
        "schemas": {
            "VerificationRequest": {
                "type": "object",
                "required": ["candidate_id", "secret_number"],
                "properties": {
                    "candidate_id": {
                        "type": "string",
                        "pattern": "^[A-Za-z0-9]{1,16}$",
                        "description": "Letters and digits, e.g. SIR094701 (case does not matter).",
                    },
                    "secret_number": {
                        "type": "string",
                        "pattern": "^[0-9]{4}$",
                        "description": "Exactly 4 digits, as a string (a leading 0 matters).",
                    },
                },
            },
            "VerificationResponse": {
                "type": "object",
                "required": ["candidate_id", "candidate_name", "results"],
                "properties": {
                    "candidate_id": {"type": "string"},
                    "candidate_name": {"type": "string"},
                    "results": {
                        "type": "array",
                        "description": "One item per result of the entry; empty when its exam cannot be verified "
                        "online (ask the candidate's exam centre or the board).",
                        "items": {"$ref": "#/components/schemas/Result"},
                    },
                },
            },
            "Result": {
                "type": "object",
                "description": (
                    "Every key is always present. Unless status is 'released', overall_score, cefr_level and "
                    "components are null; result is 'Q' when pending and null when not yet released."
                ),
                "required": [
                    "exam_code",
                    "exam_name",
                    "session_date",
                    "status",
                    "overall_score",
                    "result",
                    "cefr_level",
                    "components",
                ],
                "properties": {
                    "exam_code": {"type": "string", "examples": ["FCE"]},
                    "exam_name": {"type": "string", "examples": ["B2 First"]},
                    "session_date": {"type": "string", "format": "date"},
                    "status": {
                        "type": "string",
                        "enum": ["released", "pending", "not_yet_released"],
                        "description": "'pending' is a Q: the results release window has closed without a result.",
                    },
                    "overall_score": {
                        **_NULLABLE_INT,
                        "description": "Cambridge English Scale; null below the reported range or unless released.",
                    },
                    "result": {"type": ["string", "null"], "examples": ["Grade B", "Q"]},
                    "cefr_level": {"type": ["string", "null"], "examples": ["B2"]},
                    "components": {
                        "type": ["object", "null"],
                        "additionalProperties": {"type": "integer"},
                        "examples": [{"reading": 176, "use_of_english": 181, "writing": 169}],
                    },
                },
            },
            "Error": _ERROR,
            "BadRequest": {
                "type": "object",
                "required": ["error", "field"],
                "properties": {
                    "error": {"type": "string"},
                    "field": {
                        "type": "string",
                        "enum": ["body", "candidate_id", "secret_number"],
                        "description": "The bad field; 'body' when the body is not a JSON object.",
                    },
                },
            },
        },
    },
}


@never_cache
def schema(request: HttpRequest) -> JsonResponse:
    """Return the OpenAPI 3.1 description of the verification API."""
    if request.method not in {"GET", "HEAD"}:
        response = error_response(str(GET_ONLY), status=405)
        response["Allow"] = "GET, HEAD"
        return response
    return JsonResponse(API_SCHEMA, json_dumps_params={"ensure_ascii": False})
