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
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from accounts.guard import GuardRefusal, client_ip
from verification import deliveries, services
from verification.models import Verification
from verification.selectors import RELEASED, VerifiedEntry
from web.api.access import api_client, error_response, request_organisation
from web.api.docs import api_docs_view

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


def _get_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Answer anything but GET and HEAD with a JSON 405, before the API key is looked at."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method not in {"GET", "HEAD"}:
            response = error_response(str(GET_ONLY), status=405)
            response["Allow"] = "GET, HEAD"
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


# --- The deliveries feed -------------------------------------------------------------------------------
KEY_REQUIRED = _("This feed needs your organisation's API key: send 'Authorization: Bearer <key>'.")
CURSOR_FORMAT = _("'after' is the cursor of the last event you have: a whole number (0 or leave it out to start).")
LIMIT_FORMAT = _("'limit' is a whole number from 1 to 200.")


@never_cache
@_get_only
@api_client
def deliveries_feed(request: HttpRequest) -> HttpResponse:
    """Return the organisation's delivery events after a cursor, in order, with the cursor of the next call."""
    organisation = request_organisation(request)
    if organisation is None:
        response = error_response(str(KEY_REQUIRED), status=401)
        response["WWW-Authenticate"] = 'Bearer realm="deliveries"'
        return response
    after, limit = request.GET.get("after", "0") or "0", request.GET.get("limit", "100") or "100"
    if not (after.isascii() and after.isdigit()) or len(after) > 18:
        return error_response(str(CURSOR_FORMAT), status=400, field="after")
    if not (limit.isascii() and limit.isdigit()) or not 1 <= int(limit) <= deliveries.FEED_PAGE_MAX:
        return error_response(str(LIMIT_FORMAT), status=400, field="limit")
    page = deliveries.organisation_feed(organisation=organisation, after=int(after), limit=int(limit))
    body = {
        "events": [deliveries.event_json(event, shown) for event, shown in page.events],
        "next_cursor": page.next_cursor,
        "has_more": page.has_more,
    }
    response = JsonResponse(body, json_dumps_params={"ensure_ascii": False})
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


_EVENT_TYPES = ["delivery.created", "result.amended", "result.held", "result.released_again", "delivery.withdrawn"]
_NULLABLE_STRING = {"type": ["string", "null"]}

API_SCHEMA["info"]["description"] += (
    " Organisations also receive the results candidates send them: poll GET /api/v1/deliveries with your API key, "
    "or register webhook addresses on your account to be told at once (see 'webhooks')."
)
API_SCHEMA["paths"]["/api/v1/deliveries"] = {
    "get": {
        "operationId": "listDeliveryEvents",
        "summary": "Read the results sent to you and their changes, in order, from a cursor",
        "description": (
            "Returns your organisation's delivery events after the cursor 'after', oldest first: a candidate sent "
            "you a result, a result you received was amended, held or released again, a candidate withdrew a "
            "delivery. Store next_cursor and send it as 'after' on your next call; call again at once while "
            "has_more is true. Each event carries its delivery as it is now, with only what the candidate "
            "disclosed."
        ),
        "security": [{"bearerAuth": []}],
        "parameters": [
            {
                "name": "after",
                "in": "query",
                "required": False,
                "description": "The next_cursor of your last call; 0 or absent to start from the beginning.",
                "schema": {"type": "string", "pattern": "^[0-9]{1,18}$", "default": "0"},
            },
            {
                "name": "limit",
                "in": "query",
                "required": False,
                "description": "Most events in the answer (1 to 200).",
                "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 100},
            },
        ],
        "responses": {
            "200": {
                "description": "The events after the cursor, and the cursor of the next call.",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DeliveryFeed"}}},
            },
            "400": _json_error("'after' or 'limit' is malformed.", {"$ref": "#/components/schemas/BadRequest"}),
            "401": _json_error(
                "No API key, or not a live one.", headers={"WWW-Authenticate": {"schema": {"type": "string"}}}
            ),
        },
    }
}
API_SCHEMA["webhooks"] = {
    "deliveryEvent": {
        "post": {
            "operationId": "receiveDeliveryEvent",
            "summary": "A delivery event, POSTed to each of your webhook addresses",
            "description": (
                "Signed as Standard Webhooks says: verify webhook-signature (HMAC-SHA256 with your address's "
                "secret over 'webhook-id.webhook-timestamp.body') before trusting the body, and ignore a "
                "webhook-id you have already processed (a message may come twice, never out of order for one "
                "delivery). Answer 2xx within 10 seconds; otherwise it is tried again for 24 hours."
            ),
            "parameters": [
                {"name": "webhook-id", "in": "header", "required": True, "schema": {"type": "string"}},
                {"name": "webhook-timestamp", "in": "header", "required": True, "schema": {"type": "string"}},
                {"name": "webhook-signature", "in": "header", "required": True, "schema": {"type": "string"}},
            ],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/WebhookMessage"}}},
            },
            "responses": {"2XX": {"description": "Received; it is not sent again."}},
        }
    }
}
API_SCHEMA["components"]["schemas"]["BadRequest"]["properties"]["field"]["enum"] += ["after", "limit"]
API_SCHEMA["components"]["schemas"].update(
    {
        "DeliveryFeed": {
            "type": "object",
            "required": ["events", "next_cursor", "has_more"],
            "properties": {
                "events": {"type": "array", "items": {"$ref": "#/components/schemas/DeliveryEvent"}},
                "next_cursor": {"type": "string", "description": "Send it as 'after' on your next call."},
                "has_more": {"type": "boolean", "description": "More events wait: call again at once."},
            },
        },
        "DeliveryEvent": {
            "type": "object",
            "required": ["id", "cursor", "type", "created_at", "delivery"],
            "properties": {
                "id": {"type": "string", "examples": ["evt_3f2a…"], "description": "Unique; the same in webhooks."},
                "cursor": {"type": "string"},
                "type": {"type": "string", "enum": _EVENT_TYPES},
                "created_at": {"type": "string", "format": "date-time"},
                "delivery": {"$ref": "#/components/schemas/Delivery"},
            },
        },
        "Delivery": {
            "type": "object",
            "description": (
                "A result a candidate sent you, as it is now. 'candidate' and 'result' are absent once withdrawn. "
                "A minimal disclosure has no candidate_id, date_of_birth, overall_score or components."
            ),
            "required": ["id", "sent_at", "disclosure", "status", "withdrawn_at"],
            "properties": {
                "id": {"type": "string", "format": "uuid"},
                "sent_at": {"type": "string", "format": "date-time"},
                "disclosure": {"type": "string", "enum": ["full", "minimal"]},
                "status": {
                    "type": "string",
                    "enum": ["current", "amended", "held", "withdrawn"],
                    "description": "'amended': changed since sent; 'held': under review, no result shown now.",
                },
                "withdrawn_at": {**_NULLABLE_STRING, "format": "date-time"},
                "candidate": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {
                        "name": {"type": "string"},
                        "candidate_id": {"type": "string", "description": "Full disclosure only."},
                        "date_of_birth": {**_NULLABLE_STRING, "format": "date", "description": "Full only."},
                    },
                },
                "result": {
                    "type": "object",
                    "required": ["exam_code", "exam_name", "session_date", "result", "cefr_level", "amended_at"],
                    "properties": {
                        "exam_code": {"type": "string", "examples": ["FCE"]},
                        "exam_name": {"type": "string"},
                        "session_date": {"type": "string", "format": "date"},
                        "result": {**_NULLABLE_STRING, "description": "Null while held."},
                        "cefr_level": _NULLABLE_STRING,
                        "amended_at": {**_NULLABLE_STRING, "format": "date-time"},
                        "overall_score": {**_NULLABLE_INT, "description": "Full disclosure only."},
                        "components": {
                            "type": ["object", "null"],
                            "additionalProperties": {"type": "integer"},
                            "description": "Full disclosure only.",
                        },
                    },
                },
            },
        },
        "WebhookMessage": {
            "type": "object",
            "required": ["type", "timestamp", "data"],
            "properties": {
                "type": {"type": "string", "enum": _EVENT_TYPES},
                "timestamp": {"type": "string", "format": "date-time"},
                "data": {"$ref": "#/components/schemas/DeliveryEvent"},
            },
        },
    }
)
API_SCHEMA["components"]["securitySchemes"]["bearerAuth"]["description"] = (
    "An organisation's API key, made on its verifier account page: optional for verifications, required for "
    "the deliveries feed."
)


@never_cache
@_get_only
def schema(request: HttpRequest) -> HttpResponse:
    """Return the OpenAPI 3.1 description of the verification API."""
    return JsonResponse(API_SCHEMA, json_dumps_params={"ensure_ascii": False})


@require_GET
def docs(request: HttpRequest) -> HttpResponse:
    """Show the API's documentation, read from its OpenAPI schema and rendered here (no script, no CDN)."""
    return render(request, "verification/api_docs.html", {"api": api_docs_view(API_SCHEMA)})
