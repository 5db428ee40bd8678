"""``/openapi.json`` is a whole OpenAPI 3.1 document: every ``$ref`` resolves, every schema is
valid JSON Schema, and what it says of bodies is what the API enforces."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from quart.typing import TestClientProtocol as Client

from portal_engine.api.app import create_app
from portal_engine.registry import load_plugins
from portal_engine.settings import Settings
from tests.fakes import FakeTypes

jsonschema_rs = pytest.importorskip("jsonschema_rs")

METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


@pytest.fixture(params=[False, True], ids=["open", "auth"])
async def spec(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The document as the API serves it, without and with credentials configured.

    The docs need no Redis, so the app is not started.
    """
    settings = Settings(
        namespace="openapitest",
        api_keys=("svc-key-" + "k" * 24,) if request.param else (),
    )
    plugins = load_plugins(only=(), extra=[("testplugin", FakeTypes("alpha", "beta"))])
    client: Client = create_app(settings, plugins).test_client()
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = await response.get_json()
    return document


def _walk(node: Any, where: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every object in ``node`` with its JSON pointer."""
    if isinstance(node, dict):
        yield where, node
        for key, value in node.items():
            yield from _walk(value, f"{where}/{str(key).replace('~', '~0').replace('/', '~1')}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{where}/{index}")


def _resolve(document: dict[str, Any], ref: str) -> Any:
    """What the local reference ``ref`` points to in ``document``; KeyError if nothing."""
    assert ref.startswith("#/"), f"not a reference within the document: {ref}"
    target: Any = document
    for part in ref[2:].split("/"):
        target = target[part.replace("~1", "/").replace("~0", "~")]
    return target


def _operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def _schemas(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema object of the document: components, parameters, bodies and responses."""
    for name, schema in spec["components"]["schemas"].items():
        yield f"#/components/schemas/{name}", schema
    for path, method, operation in _operations(spec):
        for parameter in operation.get("parameters", []):
            yield f"{method} {path} parameter {parameter['name']}", parameter["schema"]
        for kind, holder in [
            ("body", operation.get("requestBody", {})),
            *[
                (f"response {status}", response)
                for status, response in operation["responses"].items()
            ],
        ]:
            for media_type, media in holder.get("content", {}).items():
                yield f"{method} {path} {kind} {media_type}", media["schema"]


def test_every_ref_resolves(spec: dict[str, Any]) -> None:
    """Each ``$ref`` points at something in the document, which client generators require."""
    refs = {node["$ref"]: where for where, node in _walk(spec) if isinstance(node.get("$ref"), str)}
    assert refs, "the document has no references at all; has the walk stopped finding them?"
    unresolved = []
    for ref, where in refs.items():
        try:
            target = _resolve(spec, ref)
        except (KeyError, IndexError, TypeError):
            unresolved.append(f"{ref} (at {where})")
            continue
        assert isinstance(target, dict), ref
    assert not unresolved, f"references to nothing: {unresolved}"


def test_nested_models_are_components(spec: dict[str, Any]) -> None:
    """Models used inside others (a set's items, a refresh's tasks, ...) are named schemas."""
    assert {"Item", "TaskRef", "TypeInfo", "Notification", "Check"} <= set(
        spec["components"]["schemas"]
    )


def test_required_structure(spec: dict[str, Any]) -> None:
    """The fields OpenAPI 3.1 requires are there: version, info, operations with responses
    (each with a description), parameters with a name and place (a path one required), unique
    operation ids, and security requirements naming declared schemes."""
    assert spec["openapi"].startswith("3.1.")
    assert isinstance(spec["info"]["title"], str) and isinstance(spec["info"]["version"], str)
    assert spec["paths"] and all(path.startswith("/") for path in spec["paths"])
    operation_ids: list[str] = []
    schemes = set(spec["components"].get("securitySchemes", {}))
    requirements = list(spec.get("security", []))
    for path, method, operation in _operations(spec):
        label = f"{method.upper()} {path}"
        assert operation["responses"], label
        for status, response in operation["responses"].items():
            assert isinstance(response.get("description"), str), (label, status)
        for parameter in operation.get("parameters", []):
            assert parameter["in"] in {"path", "query", "header", "cookie"}, (label, parameter)
            assert isinstance(parameter["name"], str) and "schema" in parameter, (label, parameter)
            if parameter["in"] == "path":
                assert parameter["required"] is True, (label, parameter)
                assert "{" + parameter["name"] + "}" in path, (label, parameter)
        operation_ids.append(operation["operationId"])
        requirements.extend(operation.get("security", []))
    assert len(operation_ids) == len(set(operation_ids)), "operation ids must be unique"
    for requirement in requirements:
        assert set(requirement) <= schemes, requirement


def test_every_schema_is_valid_json_schema(spec: dict[str, Any]) -> None:
    """Each schema in the document is valid JSON Schema 2020-12, the dialect of OpenAPI 3.1."""
    invalid = [where for where, schema in _schemas(spec) if not jsonschema_rs.meta.is_valid(schema)]
    assert not invalid, f"not valid JSON Schema: {invalid}"


def test_bodies_are_required_and_closed(spec: dict[str, Any]) -> None:
    """A JSON body is required and allows only its own fields, as the API enforces."""
    bodies = [
        (f"{method} {path}", operation["requestBody"])
        for path, method, operation in _operations(spec)
        if "requestBody" in operation
    ]
    assert bodies
    for label, body in bodies:
        assert body["required"] is True, label
        schema = body["content"]["application/json"]["schema"]
        assert schema["additionalProperties"] is False, label
