"""The refresh task: run the pipeline for one (type, user) and record its status."""

from __future__ import annotations

import asyncio
from typing import Any

import redis.exceptions
import structlog
from celery import Celery, Task

from portal_engine import pipeline
from portal_engine.errors import PipelineError, UpstreamNotFound
from portal_engine.refreshes import LOCK_LINGER
from portal_engine.worker.celery_app import REFRESH_TASK
from portal_engine.worker.runtime import WorkerRuntime

log = structlog.get_logger(__name__)

#: Retries of a task that lost Redis midway (see :func:`refresh`).
REDIS_RETRIES = 10


def runtime_of(app: Celery) -> WorkerRuntime:
    """The process's :class:`WorkerRuntime` for ``app``, made on first use."""
    runtime: WorkerRuntime | None = getattr(app, "portal_runtime", None)
    if runtime is None:
        runtime = WorkerRuntime(app.portal_settings, app.portal_plugins)
        app.portal_runtime = runtime
    return runtime


async def run_refresh(
    deps: pipeline.Deps, task_id: str, type_name: str, user_id: str, request_id: str | None
) -> str:
    """Refresh (type, user) under ``task_id``; record the outcome; return the final state."""
    store = deps.store
    with structlog.contextvars.bound_contextvars(
        task_id=task_id, type=type_name, user_id=user_id, request_id=request_id
    ):
        rtype = deps.plugins.get(type_name)
        stored = False
        deliveries = await store.count_delivery(task_id)
        if deliveries > deps.settings.max_deliveries:
            # Each earlier delivery ended without an outcome: its worker died mid-task (acks_late
            # gave the message back). Stop here instead of killing workers forever.
            message = (
                f"gave up after {deliveries - 1} deliveries: every attempt ended with its worker "
                "dying (out of memory? a crash in a plugin?); see the worker logs"
            )
            log.error("refresh abandoned", deliveries=deliveries - 1)
            await store.put_status(task_id, "failure", type_name, user_id, message)
            await store.release_refresh(type_name, user_id, task_id)
            return "failure"
        try:
            if rtype is None:
                raise PipelineError(
                    f"this worker does not serve type {type_name!r}; start a worker for it"
                )
            await store.put_status(task_id, "started", type_name, user_id)
            log.info("refresh started")
            await pipeline.refresh(deps, rtype, user_id)
            stored = True
        except PipelineError as exc:
            log.warning("refresh failed", error=str(exc))
            await store.put_status(task_id, "failure", type_name, user_id, str(exc))
            if isinstance(exc, UpstreamNotFound):
                await store.remember_unknown_user(type_name, user_id, str(exc))
            return "failure"
        except asyncio.CancelledError:
            # Celery's soft time limit interrupted the task; say so before the task ends.
            limit = deps.settings.task_soft_time_limit
            log.error("refresh stopped by the time limit", limit=limit)
            await store.put_status(
                task_id,
                "failure",
                type_name,
                user_id,
                f"stopped after the {limit}s time limit (PORTAL_TASK_SOFT_TIME_LIMIT); "
                "an upstream or the LLM is too slow",
            )
            raise
        except Exception as exc:
            log.exception("refresh crashed")
            await store.put_status(
                task_id,
                "failure",
                type_name,
                user_id,
                f"internal error ({type(exc).__name__}); the worker log has the details",
            )
            return "failure"
        finally:
            if stored:
                # Keep the lock a few seconds more: a reader that saw no set just before it
                # was stored then gets this task, not a second refresh and LLM call.
                await store.linger_refresh(type_name, user_id, task_id, LOCK_LINGER)
            else:
                await store.release_refresh(type_name, user_id, task_id)
        await store.put_status(task_id, "success", type_name, user_id)
        return "success"


def refresh(
    task: Task[Any, Any], type_name: str, user_id: str, request_id: str | None = None
) -> str:
    """The Celery task body: refresh (type, user) on this process's runtime.

    Defined once at module level and registered per app with that app as ``portal_app``:
    ``task.app`` is not enough, because in a thread pool it falls back to Celery's default
    app (the current app is thread-local), which knows nothing of our settings.
    """
    task_id = task.request.id or ""
    try:
        return runtime_of(task.portal_app).run(
            lambda deps: run_refresh(deps, task_id, type_name, user_id, request_id)
        )
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
        # Redis went away mid-task, so no outcome was recorded and the refresh lock is still
        # this task's: without a retry every read of (type, user) waited on a task that was
        # over until the lock expired (PORTAL_LOCK_TTL). The task is idempotent; run it again
        # once Redis is back, waiting 1, 2, 4 ... 30 s (about 3 minutes in all).
        retries = task.request.retries
        log.warning("Redis unavailable, refresh retried", retries=retries, error=str(exc))
        raise task.retry(exc=exc, countdown=min(2**retries, 30), max_retries=REDIS_RETRIES) from exc


def register_tasks(app: Celery) -> None:
    """Register the refresh task on ``app``."""
    # shared=False: a shared task is copied into every app created later, carrying the first
    # app as its portal_app, so a second app (tests, tools) would run on the first one's settings.
    app.task(name=REFRESH_TASK, bind=True, shared=False, portal_app=app)(refresh)
