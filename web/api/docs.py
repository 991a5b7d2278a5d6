"""The API's documentation page, read from its OpenAPI schema: what each operation, webhook and schema says,
as plain values for a server-rendered template (no JavaScript viewer, nothing from another site)."""

import json
from dataclasses import dataclass, field
from typing import Any

HTTP_METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Property:
    name: str
    type: str
    required: bool
    description: str


@dataclass(frozen=True)
class SchemaDoc:
    name: str
    description: str
    properties: list[Property]


@dataclass(frozen=True)
class Response:
    status: str
    description: str
    schema: str


@dataclass(frozen=True)
class Operation:
    anchor: str
    method: str
    path: str
    summary: str
    description: str
    authentication: str
    parameters: list[Property]
    request_schema: str
    request_example: str
    responses: list[Response]


@dataclass(frozen=True)
class ApiDocs:
    title: str
    version: str
    description: str
    operations: list[Operation] = field(default_factory=list)
    webhooks: list[Operation] = field(default_factory=list)
    schemas: list[SchemaDoc] = field(default_factory=list)


def _ref_name(schema: dict[str, Any] | None) -> str:
    if not schema:
        return ""
    ref = str(schema.get("$ref", ""))
    return ref.rsplit("/", 1)[-1] if ref else ""


def _type_text(schema: dict[str, Any]) -> str:
    """Return a property's type as read by a person: 'string (date)', 'one of: a, b', 'array of Event'."""
    if "$ref" in schema:
        return _ref_name(schema)
    kind = schema.get("type", "object")
    text = " or ".join(kind) if isinstance(kind, list) else str(kind)
    if schema.get("format"):
        text += f" ({schema['format']})"
    if schema.get("enum"):
        text += " — one of: " + ", ".join(str(v) for v in schema["enum"])
    if kind == "array" and isinstance(schema.get("items"), dict):
        text = "array of " + _type_text(schema["items"])
    return text


def _properties(schema: dict[str, Any]) -> list[Property]:
    required = set(schema.get("required", []))
    return [
        Property(name=name, type=_type_text(prop), required=name in required, description=prop.get("description", ""))
        for name, prop in schema.get("properties", {}).items()
    ]


def _authentication(operation: dict[str, Any]) -> str:
    security = operation.get("security")
    if security is None:
        return ""
    if {} in security:
        return "optional API key (Authorization: Bearer <key>)"
    return "API key required (Authorization: Bearer <key>)"


def _operation(method: str, path: str, operation: dict[str, Any]) -> Operation:
    content = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    examples = content.get("examples", {})
    first: dict[str, Any] = next(iter(examples.values()), {}) if examples else {}
    example = first.get("value")
    parameters = [
        Property(
            name=f"{p['name']} ({p['in']})",
            type=_type_text(p.get("schema", {})),
            required=bool(p.get("required")),
            description=p.get("description", ""),
        )
        for p in operation.get("parameters", [])
    ]
    responses = [
        Response(
            status=status,
            description=answer.get("description", ""),
            schema=_ref_name(answer.get("content", {}).get("application/json", {}).get("schema")),
        )
        for status, answer in operation.get("responses", {}).items()
    ]
    return Operation(
        anchor=operation.get("operationId", f"{method}-{path}"),
        method=method.upper(),
        path=path,
        summary=operation.get("summary", ""),
        description=operation.get("description", ""),
        authentication=_authentication(operation),
        parameters=parameters,
        request_schema=_ref_name(content.get("schema")),
        request_example=json.dumps(example, indent=2, ensure_ascii=False) if example is not None else "",
        responses=responses,
    )


def api_docs_view(schema: dict[str, Any]) -> ApiDocs:
    """Return what the documentation page shows of an OpenAPI 3.1 document."""
    info = schema.get("info", {})

    def operations(items: dict[str, Any]) -> list[Operation]:
        return [
            _operation(method, path, item[method])
            for path, item in items.items()
            for method in HTTP_METHODS
            if method in item
        ]

    return ApiDocs(
        title=info.get("title", ""),
        version=info.get("version", ""),
        description=info.get("description", ""),
        operations=operations(schema.get("paths", {})),
        webhooks=operations(schema.get("webhooks", {})),
        schemas=[
            SchemaDoc(name=name, description=s.get("description", ""), properties=_properties(s))
            for name, s in schema.get("components", {}).get("schemas", {}).items()
        ],
    )
