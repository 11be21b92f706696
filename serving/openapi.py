"""The OpenAPI document BentoML serves at ``/docs.json``, made true to the service.

BentoML 1.4 declares OpenAPI 3.0.2 but emits pydantic v2's JSON Schema (``{"type": "null"}``,
numeric ``exclusiveMinimum``), which is OpenAPI 3.1: the document is declared 3.1.0. Added:
a real ``info`` (title, version = the package version), the bearer-key security scheme on every
business operation, every error status with the error schema (``serving.errors.ERROR_SCHEMA``),
``GET /model`` (a mounted route BentoML does not know), and no BentoML-internal error schemas.

Both places that show the document read the service's ``openapi_spec`` property: ``/docs.json``
at run time and ``bentoml build``, which writes it to the Bento's ``apis/openapi.yaml``.
BentoML 1.4 has no API to customise it (its ``Service`` is a slotted attrs class with a read-only
property), so ``serve_corrected_spec`` gives the service object a subclass whose property
returns ``rewrite(...)`` of BentoML's document: the Bento then carries the same document
``/docs.json`` serves.
"""

from __future__ import annotations

import copy
from importlib import metadata
from typing import Any, TypeVar

import yaml

from serving.errors import ERROR_SCHEMA

T = TypeVar("T")

OPEN_PATHS = ("/healthz", "/livez", "/readyz", "/metrics")
# status -> description, per kind of operation
COMMON = {
    "400": "Invalid input: the message names the field.",
    "401": "Missing, invalid or revoked API key.",
    "413": "Request body too large.",
    "415": "Content-Type is not application/json.",
    "408": "The request body did not arrive in time.",
    "429": "Rate limit of the key exceeded (see Retry-After), or the worker is at its concurrency limit.",
    "504": "The request outlived the server's traffic timeout (60 s; the time budget normally ends it first).",
    "500": "Internal error (logged with its request_id).",
    "503": "Not ready (no model, unusable request log), request log locked or failing, or the "
    "request's time budget ran out (see request_id, Retry-After).",
}
EXTRA = {
    "/match": {"403": "brief.brand_id is another brand's, or force_variant without an admin key."},
    "/match_batch": {"403": "A brief's brand_id is another brand's."},
    "/plan": {"403": "brief.brand_id is another brand's."},
    "/feedback": {
        "403": "The request was made by another brand.",
        "404": "Unknown request_id, or the influencer was not shown in that request.",
        "409": "This event was already recorded with another value.",
    },
    "/reload": {
        "403": "Not an admin key, or a folder outside the model root.",
        "409": "Another reload is in progress.",
    },
    "/model": {"403": "Forbidden."},
}


def version() -> str:
    try:
        return metadata.version("matcher")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0"


def _error_content() -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}


_META = ("title", "description", "default", "examples", "deprecated", "readOnly", "writeOnly")


def _nullable_defaults(node: Any) -> None:
    """BentoML flattens the ``X | None = None`` fields of an API's own body and response to plain
    ``X``; put the ``null`` back (a property whose default is null must accept null)."""
    if isinstance(node, dict):
        props = node.get("properties")
        if isinstance(props, dict):
            for name, prop in list(props.items()):
                if (
                    isinstance(prop, dict)
                    and "default" in prop
                    and prop["default"] is None
                    and "anyOf" not in prop
                    and prop.get("type") not in (None, "null")
                ):
                    inner = {k: v for k, v in prop.items() if k not in _META}
                    props[name] = {
                        **{k: v for k, v in prop.items() if k in _META},
                        "anyOf": [inner, {"type": "null"}],
                    }
        for v in node.values():
            _nullable_defaults(v)
    elif isinstance(node, list):
        for v in node:
            _nullable_defaults(v)


def _use_components(doc: dict[str, Any]) -> None:
    """BentoML inlines each API's body and response schema (dropping their ``null``s) next to a
    correct copy in ``components``: point at the component instead."""
    schemas = doc.get("components", {}).get("schemas", {})
    for item in doc.get("paths", {}).values():
        for op in item.values():
            if not isinstance(op, dict):
                continue
            contents = [op.get("requestBody", {}).get("content", {})]
            contents += [r.get("content", {}) for r in op.get("responses", {}).values()]
            for content in contents:
                for media in content.values():
                    title = media.get("schema", {}).get("title")
                    if title in schemas:
                        media["schema"] = {"$ref": f"#/components/schemas/{title}"}


def rewrite(doc: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    _use_components(doc)
    _nullable_defaults(doc)
    doc["openapi"] = "3.1.0"
    doc["info"] = {
        "title": "matcher",
        "version": version(),
        "description": "Brand -> micro-influencer ranking. Business endpoints need "
        "'Authorization: Bearer <key>' (`matcher keys add`); see docs/security.md.",
    }
    comps = doc.setdefault("components", {})
    schemas = comps.setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    comps["securitySchemes"] = {
        "apiKey": {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key from `matcher keys add`.",
        }
    }
    paths = doc.setdefault("paths", {})
    paths["/model"] = {
        "get": {
            "summary": "What the service is serving",
            "operationId": "model",
            "tags": ["Service APIs"],
            "responses": {
                "200": {
                    "description": "The model being served.",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/ModelInfo"}}
                    },
                }
            },
        }
    }
    for path, item in paths.items():
        for method, op in item.items():
            if not isinstance(op, dict) or method not in ("get", "post"):
                continue
            responses = op.setdefault("responses", {})
            if path in OPEN_PATHS or path not in EXTRA:
                continue
            op["security"] = [{"apiKey": []}]
            if "requestBody" in op:
                op["requestBody"]["required"] = True  # a JSON object, `{}` at least
            responses.pop("404", None)  # BentoML's generic one; /feedback documents its own
            statuses = {**COMMON, **EXTRA[path]}
            if method == "get":
                statuses = {
                    s: d
                    for s, d in statuses.items()
                    if s in ("401", "403", "429", "500", "503", "504")
                }
            for status, desc in statuses.items():
                responses[status] = {"description": desc, "content": _error_content()}
    # BentoML's own error schemas are unused once the statuses point at Error
    for name in ("InvalidArgument", "NotFound", "InternalServerError"):
        schemas.pop(name, None)
    return doc


class Document(dict[str, Any]):
    """The corrected document where BentoML expects its ``OpenAPISpecification``: it has the
    ``asdict()`` that ``/docs.json`` calls, and ``yaml.dump`` (``bentoml build``) writes it as
    a plain mapping (the representer below, like BentoML's own for its class)."""

    def asdict(self) -> dict[str, Any]:
        return copy.deepcopy(dict(self))


def _represent_document(dumper: yaml.Dumper, doc: Document) -> yaml.Node:
    return dumper.represent_dict(dict(doc))


yaml.add_representer(Document, _represent_document)


def serve_corrected_spec(service: T) -> T:
    """Make ``service.openapi_spec`` (a ``bentoml.Service``) return ``Document(rewrite(...))``
    of BentoML's own document, for ``/docs.json`` and the built Bento's ``apis/openapi.yaml``
    alike. Idempotent; returns the same object."""
    base = type(service)
    if getattr(base, "_matcher_corrected_spec", False):
        return service
    generate = base.openapi_spec.fget  # type: ignore[attr-defined]

    class CorrectedSpecService(base):  # type: ignore[valid-type,misc]
        __slots__ = ()  # the same layout as BentoML's slotted class: required to swap classes
        _matcher_corrected_spec = True

        @property
        def openapi_spec(self) -> Document:
            return Document(rewrite(generate(self).asdict()))

    CorrectedSpecService.__name__ = CorrectedSpecService.__qualname__ = base.__name__
    CorrectedSpecService.__module__ = base.__module__
    service.__class__ = CorrectedSpecService
    return service
