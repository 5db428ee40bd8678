"""``/api/v1/recommendations``: read, refresh, delete sets; task status; the list of types."""

from __future__ import annotations

import contextlib
import re

import attrs
from quart import Blueprint, ResponseReturnValue, url_for
from quart_schema import (
    validate_querystring,
    validate_request,
    validate_response,
)
from structlog.contextvars import get_contextvars

from portal_engine.api.schemas import (
    USER_ID_RULE,
    DismissRequest,
    DismissResponse,
    ErrorBody,
    RefreshRequest,
    RefreshResponse,
    SchemaResponse,
    TaskRef,
    TypeInfo,
    TypesResponse,
    UserQuery,
)
from portal_engine.api.state import state, store
from portal_engine.errors import BadRequest, NotFound, ServiceUnavailable
from portal_engine.models import RecommendationSet, TaskStatus, utcnow
from portal_engine.refreshes import start_refresh

bp = Blueprint("recommendations", __name__, url_prefix="/recommendations")

_USER_ID = re.compile(r"^[^\x00-\x1f\x7f]{1,128}$")
_TASK_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _task_ref(type_name: str, user_id: str, task_id: str) -> TaskRef:
    return TaskRef(
        type=type_name,
        user_id=user_id,
        task_id=task_id,
        status_url=url_for("recommendations.task_status", task_id=task_id),
    )


def _request_id() -> str | None:
    value = get_contextvars().get("request_id")
    return str(value) if value is not None else None


@bp.get("/types")
@validate_response(TypesResponse, 200)
async def list_types() -> TypesResponse:
    """Every recommendation type, with its queue, TTL and the plugin that provides it."""
    types = sorted(state().plugins.types.values(), key=lambda t: t.name)
    return TypesResponse([TypeInfo(**t.describe()) for t in types])  # type: ignore[arg-type]


@bp.get("/<type_name>")
@validate_querystring(UserQuery)
@validate_response(RecommendationSet, 200)
@validate_response(TaskRef, 202)
@validate_response(ErrorBody, 404)
async def get_recommendations(type_name: str, query_args: UserQuery) -> SchemaResponse:
    """The user's cached set (200); on a miss, 202 with the refresh task to poll.

    A set past its freshness is still served, with ``stale: true``, while one refresh runs.
    """
    rtype = state().rtype(type_name)
    user_id = query_args.user_id
    cached = await store().get_set(rtype.name, user_id)
    await store().touch_user(rtype.name, user_id)
    if cached is not None and rtype.is_fresh(cached, utcnow()):
        return cached, 200
    if cached is not None:
        # Stale while revalidate: serve the last good set while one refresh runs. A broker
        # outage must not turn a servable set into an error.
        with contextlib.suppress(ServiceUnavailable):
            await start_refresh(store(), state().celery, rtype, user_id, _request_id())
        return attrs.evolve(cached, stale=True), 200
    unknown = await store().unknown_user(rtype.name, user_id)
    if unknown is not None:
        raise NotFound(f"no recommendations for user {user_id!r}: {unknown}")
    task_id = await start_refresh(store(), state().celery, rtype, user_id, _request_id())
    ref = _task_ref(rtype.name, user_id, task_id)
    return ref, 202, {"Location": ref.status_url}


@bp.delete("/<type_name>")
@validate_querystring(UserQuery)
@validate_response(ErrorBody, 404)
async def delete_recommendations(type_name: str, query_args: UserQuery) -> ResponseReturnValue:
    """Forget the user's cached set; the next read starts a refresh."""
    rtype = state().rtype(type_name)
    await store().delete_set(rtype.name, query_args.user_id)
    return "", 204


@bp.post("/<type_name>/dismiss")
@validate_querystring(UserQuery)
@validate_request(DismissRequest)
@validate_response(DismissResponse, 200)
@validate_response(ErrorBody, 404)
async def dismiss(type_name: str, query_args: UserQuery, data: DismissRequest) -> SchemaResponse:
    """Hide an item from this user: it leaves the cached set and never comes back."""
    rtype = state().rtype(type_name)
    removed = await store().dismiss(rtype.name, query_args.user_id, data.item_id)
    return DismissResponse(rtype.name, query_args.user_id, data.item_id, removed), 200


@bp.post("/refresh/<user_id>")
@validate_request(RefreshRequest)
@validate_response(RefreshResponse, 202)
@validate_response(ErrorBody, 404)
async def refresh(user_id: str, data: RefreshRequest) -> SchemaResponse:
    """Start a refresh of every type (or the listed ones); fresh sets are skipped unless forced."""
    if not _USER_ID.match(user_id):
        raise BadRequest(USER_ID_RULE)
    api = state()
    names = data.types if data.types is not None else sorted(api.plugins.types)
    if not names:
        raise BadRequest("types is empty; leave it out to refresh every type")
    rtypes = [api.rtype(name) for name in dict.fromkeys(names)]
    tasks: list[TaskRef] = []
    skipped: list[str] = []
    for rtype in rtypes:
        if not data.force:
            cached = await store().get_set(rtype.name, user_id)
            if cached is not None and rtype.is_fresh(cached, utcnow()):
                skipped.append(rtype.name)
                continue
        task_id = await start_refresh(store(), api.celery, rtype, user_id, _request_id())
        tasks.append(_task_ref(rtype.name, user_id, task_id))
    return RefreshResponse(user_id=user_id, tasks=tasks, skipped=skipped), 202


@bp.get("/status/<task_id>")
@validate_response(TaskStatus, 200)
@validate_response(ErrorBody, 404)
async def task_status(task_id: str) -> SchemaResponse:
    """Where a refresh task is: pending, started, retry, success or failure (with the error)."""
    if not _TASK_ID.match(task_id):
        raise NotFound("unknown task id: task ids are 1-64 letters, digits, '-' or '_'")
    status = await store().get_status(task_id)
    if status is None:
        raise NotFound(f"unknown task {task_id!r}: it never existed or its status expired")
    return status, 200
