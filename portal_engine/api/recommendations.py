"""``/api/v1/recommendations``: read, refresh, delete sets; task status; the list of types."""

from __future__ import annotations

import contextlib
import re

import attrs
import msgspec
from quart import (
    Blueprint,
    Response,
    ResponseReturnValue,
    current_app,
    request,
    url_for,
)
from quart_schema import (
    RequestSchemaValidationError,
    document_response,
    validate_querystring,
    validate_request,
    validate_response,
)
from quart_schema.validation import QUART_SCHEMA_REQUEST_ATTRIBUTE
from structlog.contextvars import get_contextvars
from werkzeug.exceptions import UnsupportedMediaType

from portal_engine.api.schemas import (
    BODY_ERRORS,
    COMMON_ERRORS,
    USER_ID_PATTERN,
    USER_ID_RULE,
    DismissRequest,
    DismissResponse,
    NoContent,
    RefreshRequest,
    RefreshResponse,
    SchemaResponse,
    TaskRef,
    TypeInfo,
    TypesResponse,
    UserQuery,
    document_errors,
    require_utf8_ids,
    unknown_fields,
)
from portal_engine.api.state import state, store
from portal_engine.errors import BadRequest, NotFound, ServiceUnavailable
from portal_engine.models import RecommendationSet, TaskStatus, converter, utcnow
from portal_engine.refreshes import start_refresh

bp = Blueprint("recommendations", __name__, url_prefix="/recommendations")
bp.before_request(require_utf8_ids)


_USER_ID = re.compile(USER_ID_PATTERN)
_TASK_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_TOO_DEEP = "invalid request: the JSON body is nested too deeply; send the object /docs describes"


def _task_ref(type_name: str, user_id: str, task_id: str) -> TaskRef:
    return TaskRef(
        type=type_name,
        user_id=user_id,
        task_id=task_id,
        status_url=url_for("recommendations.task_status", task_id=task_id),
    )


@bp.before_request
async def check_json_body() -> None:
    """Refuse a body that is not declared JSON (415), nested too deeply, with fields its model
    does not have or whose JSON types are wrong (400).

    Quart reads a body that is not declared JSON as no body at all, so a form post or a
    missing Content-Type was answered "Expected `object`, got `null`", which does not say what
    to fix. quart-schema converts leniently, as a query string needs (``"5"`` to 5), but a JSON
    body has types of its own: ``{"force": 0}`` was taken as false. Unknown fields were
    dropped, so ``{"forse": true}`` was a refresh that was not forced.
    """
    view = current_app.view_functions.get(request.endpoint or "")
    schema = getattr(view, QUART_SCHEMA_REQUEST_ATTRIBUTE, None)
    if schema is None:
        return
    if not request.is_json:
        raise UnsupportedMediaType()
    try:
        body = await request.get_json()
    except RecursionError:
        # The JSON parser recurses per level: ~1000 nested brackets (2 KB) were a 500.
        raise BadRequest(_TOO_DEEP) from None
    unknown = unknown_fields(body, schema[0])
    if unknown is not None:
        raise BadRequest(unknown)
    try:
        msgspec.convert(body, schema[0], strict=True)
    except msgspec.ValidationError as exc:
        raise RequestSchemaValidationError(exc) from None


def _request_id() -> str | None:
    value = get_contextvars().get("request_id")
    return str(value) if value is not None else None


@bp.get("/types")
@validate_response(TypesResponse, 200)
@document_errors(*COMMON_ERRORS)
async def list_types() -> TypesResponse:
    """Every recommendation type, with its queue, TTL and the plugin that provides it."""
    types = sorted(state().plugins.types.values(), key=lambda t: t.name)
    return TypesResponse([TypeInfo(**t.describe()) for t in types])  # type: ignore[arg-type]


@bp.get("/<type_name:type_name>")
@validate_querystring(UserQuery)
# Documented, not validated: the hot path answers the stored JSON as it is, and quart-schema
# cannot validate a ready Response. What is stored was made by the one converter.
@document_response(RecommendationSet, 200)
@document_response(TaskRef, 202)
@document_errors(404, *COMMON_ERRORS)
async def get_recommendations(type_name: str, query_args: UserQuery) -> ResponseReturnValue:
    """The user's cached set (200); on a miss, 202 with the refresh task to poll.

    A set past its freshness is still served, with ``stale: true``, while one refresh runs.
    """
    rtype = state().rtype(type_name)
    user_id = query_args.user_id
    cached = await store().read_set(rtype.name, user_id)
    if cached is not None and rtype.is_fresh(cached, utcnow()):
        # The hot path: the stored JSON is the answer, as it is.
        return Response(cached.raw, status=200, content_type="application/json")
    if cached is not None:
        # Stale while revalidate: serve the last good set while one refresh runs. A broker
        # outage must not turn a servable set into an error.
        with contextlib.suppress(ServiceUnavailable):
            await start_refresh(store(), state().celery, rtype, user_id, _request_id())
        return converter.unstructure(attrs.evolve(cached.load(), stale=True)), 200
    unknown = await store().unknown_user(rtype.name, user_id)
    if unknown is not None:
        raise NotFound(f"no recommendations for user {user_id!r}: {unknown}")
    task_id = await start_refresh(store(), state().celery, rtype, user_id, _request_id())
    ref = _task_ref(rtype.name, user_id, task_id)
    return converter.unstructure(ref), 202, {"Location": ref.status_url}


@bp.delete("/<type_name:type_name>")
@validate_querystring(UserQuery)
@document_response(NoContent, 204)
@document_errors(404, *COMMON_ERRORS)
async def delete_recommendations(type_name: str, query_args: UserQuery) -> ResponseReturnValue:
    """Forget the user's cached set; the next read starts a refresh."""
    rtype = state().rtype(type_name)
    await store().delete_set(rtype.name, query_args.user_id)
    return "", 204


@bp.post("/<type_name:type_name>/dismiss")
@validate_querystring(UserQuery)
@validate_request(DismissRequest)
@validate_response(DismissResponse, 200)
@document_errors(404, *BODY_ERRORS, *COMMON_ERRORS)
async def dismiss(type_name: str, query_args: UserQuery, data: DismissRequest) -> SchemaResponse:
    """Hide an item from this user: it leaves the cached set and never comes back."""
    rtype = state().rtype(type_name)
    removed = await store().dismiss(rtype.name, query_args.user_id, data.item_id)
    return DismissResponse(rtype.name, query_args.user_id, data.item_id, removed), 200


@bp.post("/refresh/<user_id:user_id>")
@validate_request(RefreshRequest)
@validate_response(RefreshResponse, 202)
@document_errors(404, *BODY_ERRORS, *COMMON_ERRORS)
async def refresh(user_id: str, data: RefreshRequest) -> SchemaResponse:
    """Start a refresh of every type (or the listed ones); fresh sets are skipped unless forced."""
    if not (len(user_id) <= 128 and _USER_ID.match(user_id)):
        raise BadRequest(USER_ID_RULE)
    api = state()
    # An empty list is refused by the schema (minItems 1), so names is never empty.
    names = data.types if data.types is not None else sorted(api.plugins.types)
    rtypes = [api.rtype(name) for name in dict.fromkeys(names)]
    tasks: list[TaskRef] = []
    skipped: list[str] = []
    for rtype in rtypes:
        if not data.force:
            cached = await store().get_set(rtype.name, user_id)
            if cached is not None and rtype.is_fresh(cached, utcnow()):
                skipped.append(rtype.name)
                continue
        task_id = await start_refresh(
            store(), api.celery, rtype, user_id, _request_id(), force=data.force
        )
        tasks.append(_task_ref(rtype.name, user_id, task_id))
    return RefreshResponse(user_id=user_id, tasks=tasks, skipped=skipped), 202


@bp.get("/status/<task_id>")
@validate_response(TaskStatus, 200)
@document_errors(404, *COMMON_ERRORS)
async def task_status(task_id: str) -> SchemaResponse:
    """Where a refresh task is: pending, started, retry, success or failure (with the error)."""
    if not _TASK_ID.match(task_id):
        raise NotFound("unknown task id: task ids are 1-64 letters, digits, '-' or '_'")
    status = await store().get_status(task_id)
    if status is None:
        raise NotFound(f"unknown task {task_id!r}: it never existed or its status expired")
    return status, 200
