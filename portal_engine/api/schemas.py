"""Request and response bodies of the API, as attrs classes.

quart-schema validates requests against these (through msgspec) and writes them into
``/openapi.json``; responses are the models of :mod:`portal_engine.models` where one fits.
Also here: the errors each view documents (:func:`document_errors`), what quart-schema's
``/openapi.json`` gets wrong (:class:`OpenAPI`), the check that a body has only its model's
fields (:func:`unknown_fields`) and the check that ids are UTF-8.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeAlias, TypeVar
from urllib.parse import unquote_to_bytes

import attrs
import msgspec
from quart import Response, request
from quart_schema import DataSource, document_response
from quart_schema.conversion import MSGSPEC_REF_TEMPLATE
from quart_schema.openapi import OpenAPIProvider
from werkzeug.routing import BaseConverter, Rule

from portal_engine.errors import BadRequest
from portal_engine.models import Notification

View = TypeVar("View", bound=Callable[..., Any])

#: What a view with ``@validate_response`` returns when it sets the status (and headers): an
#: attrs instance that quart-schema turns into JSON. Quart's ``ResponseReturnValue`` does not
#: include attrs instances (the conversion is quart-schema's), so such views use this instead.
#: A ready ``Response`` passes through as it is (the cached read's hot path).
SchemaResponse: TypeAlias = (
    tuple[attrs.AttrsInstance, int] | tuple[attrs.AttrsInstance, int, dict[str, str]] | Response
)

#: No control characters: C0 (NUL included), DEL and C1.
USER_ID_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]+$"

_USER_ID = msgspec.Meta(
    min_length=1,
    max_length=128,
    pattern=USER_ID_PATTERN,
    description="The user's id: 1-128 characters, no control characters.",
)
#: A user id: 1-128 characters, no control characters (NUL included).
UserId = Annotated[
    str,
    _USER_ID,
    # quart-schema reads whether a query parameter is required from the parameter's own
    # schema, while msgspec lists required fields on the object: without this the docs called
    # ?user_id= optional, and clients built from them left it out (400).
    msgspec.Meta(extra_json_schema={"required": True}),
]
#: The JSON schema of a user id, for a path parameter.
USER_ID_SCHEMA = msgspec.json.schema(Annotated[str, _USER_ID])
USER_ID_RULE = "user_id must be 1-128 characters without control characters"

#: Each request field's rule in words, for validation errors a person can act on.
FIELD_RULES = {
    "user_id": USER_ID_RULE,
    "limit": "limit must be a whole number from 1 to 100",
    "force": "force must be true or false",
    "types": 'types must be a non-empty list of type names, e.g. ["dining"], or left out',
    "item_id": "item_id must be a string of 1-256 characters",
}


@attrs.frozen
class UserQuery:
    """``?user_id=`` on per-user endpoints."""

    user_id: UserId


@attrs.frozen
class NotificationsQuery:
    """``?user_id=&limit=`` on the notifications list."""

    user_id: UserId
    limit: Annotated[int, msgspec.Meta(ge=1, le=100, description="How many, 1-100.")] = 10


@attrs.frozen
class RefreshRequest:
    """Body of ``POST /recommendations/refresh/{user_id}``."""

    force: bool = False
    # At least one: the docs said any list, and clients that sent [] were refused.
    types: Annotated[list[str], msgspec.Meta(min_length=1)] | None = None


@attrs.frozen
class DismissRequest:
    """Body of ``POST /recommendations/{type}/dismiss``."""

    item_id: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]


@attrs.frozen
class DismissResponse:
    """A dismissal: the item stays hidden from this user for this type."""

    type: str
    user_id: str
    item_id: str
    removed_from_cached_set: bool


@attrs.frozen
class TaskRef:
    """A started (or already running) refresh task."""

    type: str
    user_id: str
    task_id: str
    status_url: str


@attrs.frozen
class RefreshResponse:
    """The tasks a refresh started, and the types skipped because their set is fresh."""

    user_id: str
    tasks: list[TaskRef]
    skipped: list[str]


@attrs.frozen
class TypeInfo:
    """One recommendation type as ``GET /recommendations/types`` lists it."""

    name: str
    description: str
    queue: str
    ttl: int
    plugin: str
    version: str


@attrs.frozen
class TypesResponse:
    """Every type the engine serves."""

    types: list[TypeInfo]


@attrs.frozen
class NotificationList:
    """A user's newest notifications and how many are unread."""

    user_id: str
    unread: int
    notifications: list[Notification]


@attrs.frozen
class ErrorBody:
    """Every error answer: what went wrong and what to do about it."""

    error: str
    status: int


#: Errors any ``/api/v1`` request but health checks may get: malformed (400), no valid
#: credentials (401), not this user's (403), rate limited (429), a dependency down (503).
COMMON_ERRORS = (400, 401, 403, 429, 503)
#: Errors of a request with a JSON body: too large (413), not declared JSON (415).
BODY_ERRORS = (413, 415)


@attrs.frozen
class NoContent:
    """Done; no body."""


@attrs.frozen
class Live:
    """The process serves requests."""

    status: str


class OpenAPI(OpenAPIProvider):
    """quart-schema's ``/openapi.json``, where it cannot say what this API does.

    Every model a schema refers to is in ``components.schemas``: quart-schema (0.25) builds a
    msgspec model's schema from ``msgspec.json.schema_components`` but keeps only the model's
    own entry, so each ``$ref`` to a nested model (``Item`` of a set, ``TaskRef`` of a refresh)
    pointed nowhere, and Swagger UI, ReDoc and client generators could not resolve it. The app
    converts with msgspec (``conversion_preference="msgspec"``), so every model goes that way.

    A JSON body is required: quart-schema leaves ``requestBody.required`` out, which means
    optional, so clients built from the docs sent none and were refused. A body allows only
    its own fields (``additionalProperties: false``), as :func:`unknown_fields` enforces. A
    path parameter whose converter has an ``openapi_schema`` is documented with it, not as any
    string. A 204 has no content, where quart-schema documents every response as JSON.
    """

    def build_querystring_parameters(
        self, model: type[Any]
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """The query parameters as quart-schema documents them, with the models they use."""
        parameters, definitions = super().build_querystring_parameters(model)
        return parameters, {**definitions, **_referred(parameters, model)}

    def build_headers_parameters(
        self, model: type[Any]
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """The header parameters as quart-schema documents them, with the models they use."""
        parameters, definitions = super().build_headers_parameters(model)
        return parameters, {**definitions, **_referred(parameters, model)}

    def build_request_body(
        self, model: type[Any], source: DataSource
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The body as quart-schema documents it, required, closed, with the models it uses."""
        body, definitions = super().build_request_body(model, source)
        for media in body["content"].values():
            if "properties" in media["schema"]:
                media["schema"]["additionalProperties"] = False
        return {**body, "required": True}, {**definitions, **_referred(body, model)}

    def build_response_object(
        self, model: type[Any], headers_model: type[Any] | None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The response as quart-schema documents it, with the models it uses."""
        response, definitions = super().build_response_object(model, headers_model)
        return response, {**definitions, **_referred(response, model, headers_model)}

    def build_path_parameter(self, name: str, converter: BaseConverter) -> dict[str, Any]:
        """A path parameter as quart-schema documents it, or with its converter's schema."""
        parameter = super().build_path_parameter(name, converter)
        schema = getattr(converter, "openapi_schema", None)
        if schema is not None:
            parameter["schema"] = schema
        return parameter

    def build_paths(self, rule: Rule) -> tuple[dict[str, Any], dict[str, Any]]:
        """The paths as quart-schema documents them, without content for 204."""
        paths, components = super().build_paths(rule)
        for operations in paths.values():
            for operation in operations.values():
                operation["responses"].get(204, {}).pop("content", None)
        return paths, components


_REF_PREFIX = MSGSPEC_REF_TEMPLATE.removesuffix("{name}")


def _referred(documented: object, *models: type[Any] | None) -> dict[str, Any]:
    """The schemas of ``models`` that ``documented`` refers to, directly or through others.

    Only those: quart-schema inlines the models themselves, and some of their inline schemas
    are fit only for where they stand (a query model's ``"required": true`` on a property).
    """
    _, components = msgspec.json.schema_components(
        [model for model in models if model is not None], ref_template=MSGSPEC_REF_TEMPLATE
    )
    found: dict[str, Any] = {}
    pending = [documented]
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            pending.extend(node)
        elif isinstance(node, dict):
            ref = node.get("$ref")
            name = ref.removeprefix(_REF_PREFIX) if isinstance(ref, str) else ""
            if name in components and name not in found:
                found[name] = components[name]
                pending.append(components[name])
            pending.extend(node.values())
    return found


def unknown_fields(body: object, model: type[attrs.AttrsInstance]) -> str | None:
    """Why ``body`` is refused for fields ``model`` does not have, or ``None`` if it is not.

    msgspec drops the fields an attrs class does not have, so a misspelt one (``"forse"``)
    was answered as if it had not been sent: the client's intent silently lost.

    Args:
        body: The parsed JSON body; only an object can have unknown fields.
        model: The attrs class the body is validated as.

    Returns:
        A message naming the unknown fields and listing the allowed ones, or ``None``.
    """
    if not isinstance(body, dict):
        return None
    allowed = [field.name for field in attrs.fields(model)]
    unknown = [name for name in body if name not in allowed]
    if not unknown:
        return None
    names = ", ".join(repr(name[:64]) for name in unknown[:5])
    more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
    plural = "s" if len(unknown) > 1 else ""
    return (
        f"invalid request: unknown field{plural} {names}{more} in the body; "
        f"allowed: {', '.join(allowed)}"
    )


def document_errors(*statuses: int) -> Callable[[View], View]:
    """Document :class:`ErrorBody` as a view's answer for each of ``statuses``.

    Errors are raised, not returned, so they are documented rather than validated.
    """

    def decorator(view: View) -> View:
        for status in statuses:
            view = document_response(ErrorBody, status)(view)
        return view

    return decorator


async def require_utf8_ids() -> None:
    """Refuse a path or query string whose percent-escapes are not UTF-8 (400).

    Async although it awaits nothing: Quart runs a sync hook in a thread pool, a thread hop
    on every request of the hot read path.

    Undecodable bytes do not fail on their own: Werkzeug keeps them in the query as ``%XX``
    text and the server reads them in the path as U+FFFD. ``?user_id=%FF`` would then be the
    user ``"%FF"`` (also ``?user_id=%25FF``), and ``/refresh/%FF`` the same user as
    ``/refresh/%FE``: two ids, one user.
    """
    raw = request.scope.get("raw_path") or request.path.encode()
    try:
        unquote_to_bytes(raw + b"?" + request.query_string).decode()
    except UnicodeDecodeError:
        raise BadRequest(
            "ids in the path and query string must be UTF-8, percent-encoded (e.g. 'é' as %C3%A9)"
        ) from None


@attrs.frozen
class Check:
    """One dependency check."""

    ok: bool
    detail: str = ""


@attrs.frozen
class Health:
    """The state of the engine and each dependency."""

    status: str
    version: str
    checks: dict[str, Check]
