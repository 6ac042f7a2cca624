"""Request bodies read as bytes, still described by their models; and the document
freed of FastAPI's default validation answer.

Routes whose body is decoded by the ledger's own decoders (hot paths, signed peer
requests, per-item refusals) do not let FastAPI see the model; ``json_request`` names
it in the route's OpenAPI and records it, and ``add_schemas`` puts every recorded
model's generated JSON Schema into the document's components."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

REF = "#/components/schemas/{model}"
_REQUESTS: dict[str, type[BaseModel]] = {}


def json_request(model: type[BaseModel], description: str = "") -> dict[str, Any]:
    """``openapi_extra`` for a route whose JSON body is described by ``model``."""
    known = _REQUESTS.setdefault(model.__name__, model)
    if known is not model:
        raise TypeError(f"two request models named {model.__name__}")
    body: dict[str, Any] = {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": REF.format(model=model.__name__)}}},
    }
    if description:
        body["description"] = description
    return {"requestBody": body}


def add_schemas(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with the JSON Schemas of every model ``json_request`` named (and of
    the models they use) among its components; a schema already there is kept."""
    models = list(_REQUESTS.values())
    _, top = models_json_schema([(m, "validation") for m in models], ref_template=REF)
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in top.get("$defs", {}).items():
        schemas.setdefault(name, schema)
    return document


def drop_default_validation(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` without FastAPI's default 422 ``HTTPValidationError`` answers: this
    API answers a request that fails validation 400 with problem details (routes list
    400), and 422 only where a route says so."""
    default = "#/components/schemas/HTTPValidationError"
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            answer = operation.get("responses", {}).get("422", {})
            schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
            if schema.get("$ref") == default:
                del operation["responses"]["422"]
    schemas = document.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    return document
