"""The OpenAPI schema says what the API does on failure too, once for every operation
(drf-spectacular's postprocessing hook, `SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]`):

    every operation        401 not_authenticated / authentication_failed, 403
                           permission_denied, 406 not_acceptable, 429 rate_limited (Retry-After)
    with a request body    400 validation_error / malformed_body, 413 payload_too_large,
                           415 unsupported_media_type
    with query parameters  400 validation_error (a misspelt filter, a bad value, a bad cursor)
    with path parameters   404 not_found (missing and another tenant's answer alike)

each in the one error shape of config/api/errors.py (the `Error` component). A view declares
only what is its own (409 `conflict`, a second 404 code) as `OpenApiResponse(description=…)`;
the hook gives it the same body. Request bodies refuse unknown fields (StrictSerializer, the
generic event parser), so their objects say `additionalProperties: false`; a blank query
parameter is as if left out (tenants/api/base.py), so each says `allowEmptyValue`.

It also states the links between operations (OpenAPI `links`): what a POST creates (201, a
body with an `id`) is what the operations under `<path>{id}/` name, so clients and the
stateful fuzzer (scripts/api_fuzz.py) follow create → read → change → delete.
"""

from __future__ import annotations

ERROR_COMPONENT = "Error"
ERROR_REF = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error: a stable machine-readable `code`, a `message` people can act "
                   "on, and `details` (for validation errors: each bad field by its path, e.g. "
                   '`lines[1].quantity`, with its problems).',
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "example": "validation_error"},
                "message": {"type": "string"},
                "details": {"type": "object", "additionalProperties": True},
            },
            "required": ["code", "message", "details"],
        },
    },
    "required": ["error"],
}

EVERY_OPERATION = {
    "401": "`not_authenticated`: no `Authorization: Bearer <api key>` header; "
           "`authentication_failed`: a malformed, unknown or revoked key.",
    "403": "`permission_denied`: this key's scope does not allow the request.",
    "406": "`not_acceptable`: the Accept header excludes application/json.",
    "429": "`rate_limited`: too many requests with this key; retry after `Retry-After` seconds.",
}
WITH_BODY = {
    "400": "`validation_error`: some fields are not valid (`details` names each by its path); "
           "`malformed_body`: not JSON, or JSON we refuse (nested too deep, a number too long, "
           "a NUL character).",
    "413": "`payload_too_large`: the body is larger than the limit (`details.max_bytes`).",
    "415": "`unsupported_media_type`: send `Content-Type: application/json`.",
}
WITH_QUERY = {
    "400": "`validation_error`: an unknown or invalid query parameter, or a cursor we did not "
           "issue (`details` names it).",
}
WITH_PATH = {
    "404": "`not_found`: no such object in this tenant (another tenant's objects are not found "
           "either).",
}
RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"},
                               "description": "Seconds until the next request is allowed."}}
METHODS = ("get", "put", "post", "patch", "delete")


def document_errors(result: dict, generator, request, public) -> dict:
    """The hook: error responses and closed request objects for every operation."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components[ERROR_COMPONENT] = ERROR_SCHEMA
    for operation in _operations(result):
        responses = operation.setdefault("responses", {})
        parameters = operation.get("parameters", [])
        expected = dict(EVERY_OPERATION)
        if any(parameter["in"] == "path" for parameter in parameters):
            expected.update(WITH_PATH)
        for parameter in parameters:
            if parameter["in"] == "query":
                parameter["allowEmptyValue"] = True
                expected.update(WITH_QUERY)
        if "requestBody" in operation:
            expected.update(WITH_BODY)
            for media in operation["requestBody"].get("content", {}).values():
                _close(media.get("schema", {}), components, seen=set())
        for status, description in expected.items():
            responses.setdefault(status, {"description": description})
        for status, response in responses.items():
            if status.startswith("4"):
                response.setdefault("content", {"application/json": {"schema": ERROR_REF}})
                if status == "429":
                    response.setdefault("headers", RETRY_AFTER)
    _link_created(result, components)
    return result


def _path_parameters(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]


def _link_created(result: dict, components: dict) -> None:
    """On each 201 whose body has an `id`: a link to every operation of every path below
    `<path>{id}/`, the new id for that parameter and the request's own for the rest."""
    paths = result.get("paths", {})
    for path, item in paths.items():
        created = item.get("post", {}).get("responses", {}).get("201")
        ref = (created or {}).get("content", {}).get("application/json", {}).get(
            "schema", {}).get("$ref", "")
        if "id" not in components.get(ref.rsplit("/", 1)[-1], {}).get("properties", {}):
            continue
        for below, below_item in paths.items():
            rest = below[len(path):] if below.startswith(path) else ""
            if not (rest.startswith("{") and "}/" in rest):
                continue
            new_id = rest[1:rest.index("}")]
            if "{" in rest[rest.index("}"):]:
                continue  # a second new parameter: not named by this body
            for method in METHODS:
                if method not in below_item:
                    continue
                target = below_item[method]["operationId"]
                created.setdefault("links", {})[target] = {
                    "operationId": target,
                    "parameters": {name: (f"$request.path.{name}" if name != new_id
                                          else "$response.body#/id")
                                   for name in _path_parameters(below)},
                }


def _operations(result: dict):
    for path_item in result.get("paths", {}).values():
        for method in METHODS:
            if method in path_item:
                yield path_item[method]


def _close(schema: dict, components: dict, seen: set[str]) -> None:
    """`additionalProperties: false` on every object of a request body that lists its
    properties (a map, such as `consents`, declares its own additionalProperties)."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name not in seen:
            seen.add(name)
            _close(components.get(name, {}), components, seen)
        return
    if "properties" in schema:
        schema.setdefault("additionalProperties", False)
        for child in schema["properties"].values():
            _close(child, components, seen)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            _close(schema[key], components, seen)
    for key in ("oneOf", "anyOf", "allOf"):
        for child in schema.get(key, []):
            _close(child, components, seen)
