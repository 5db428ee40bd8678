"""Starting refreshes: the single-flight path every caller (API, CLI, beat) goes through."""

from __future__ import annotations

import asyncio
import uuid

import structlog
from celery import Celery

from portal_engine.errors import ServiceUnavailable
from portal_engine.plugin_api import RecommendationType
from portal_engine.store import Store
from portal_engine.worker.celery_app import REFRESH_TASK

log = structlog.get_logger(__name__)


async def start_refresh(
    store: Store,
    celery: Celery,
    rtype: RecommendationType,
    user_id: str,
    request_id: str | None = None,
) -> str:
    """Start one refresh of (type, user) unless one is already running; return its task id.

    However many callers ask at once, one task is queued: the first takes the lock in Redis and
    the others get its task id.

    Raises:
        ServiceUnavailable: the broker cannot be reached (the lock is released again).
    """
    task_id = uuid.uuid4().hex
    holder = await store.claim_refresh(rtype.name, user_id, task_id)
    if holder is not None:
        return holder
    await store.put_status(task_id, "pending", rtype.name, user_id)
    try:
        # kombu publishes synchronously; keep the event loop free while it does.
        await asyncio.to_thread(
            celery.send_task,
            REFRESH_TASK,
            args=[rtype.name, user_id],
            kwargs={"request_id": request_id},
            queue=rtype.queue,
            routing_key=rtype.queue,
            task_id=task_id,
        )
    except Exception as exc:
        log.error("could not queue refresh", error=f"{type(exc).__name__}: {exc}")
        await store.release_refresh(rtype.name, user_id, task_id)
        message = "the task queue (broker) cannot be reached; try again shortly"
        await store.put_status(task_id, "failure", rtype.name, user_id, message)
        raise ServiceUnavailable(message) from exc
    log.info("refresh queued", task_id=task_id, type=rtype.name, queue=rtype.queue)
    return task_id
