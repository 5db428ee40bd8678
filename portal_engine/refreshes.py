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

#: Seconds the refresh lock outlives a successful refresh. A reader that found no set just
#: before the worker stored one can take the lock a moment after the worker let it go; under a
#: stampede of 200 cold reads that started 2-3 refreshes (and LLM calls) where one was enough.
#: While the lock lingers such a reader gets the finished task (success, then a 200) instead.
LOCK_LINGER = 5


async def start_refresh(
    store: Store,
    celery: Celery,
    rtype: RecommendationType,
    user_id: str,
    request_id: str | None = None,
    *,
    force: bool = False,
) -> str:
    """Start one refresh of (type, user) unless one is already running; return its task id.

    However many callers ask at once, one task is queued: the first takes the lock in Redis and
    the others get its task id. A lock still lingering after a finished refresh is taken over
    when ``force`` is set or when the set is gone (deleted meanwhile): then the finished task
    would answer nothing new.

    Raises:
        ServiceUnavailable: the broker cannot be reached (the lock is released again).
    """
    task_id = uuid.uuid4().hex
    holder = await store.claim_refresh(rtype.name, user_id, task_id)
    if holder is not None:
        if not await _finished_and_stale(store, rtype, user_id, holder, force):
            return holder
        await store.release_refresh(rtype.name, user_id, holder)
        holder = await store.claim_refresh(rtype.name, user_id, task_id)
        if holder is not None:
            return holder  # another caller took it over first: share its task
    await store.put_status(task_id, "pending", rtype.name, user_id)
    timeout = store.settings.broker_timeout
    try:
        # kombu publishes synchronously; keep the event loop free while it does.
        publish = asyncio.to_thread(
            celery.send_task,
            REFRESH_TASK,
            args=[rtype.name, user_id],
            kwargs={"request_id": request_id},
            queue=rtype.queue,
            routing_key=rtype.queue,
            task_id=task_id,
            # Wait this long for the broker's confirm (see confirm_publish in celery_app), so a
            # silent broker is a 503 within seconds instead of a lost task.
            confirm_timeout=timeout,
        )
        # Against a silent broker kombu's retries (the confirm, then reconnects, each waiting up
        # to the timeout) add up to 4-5x the timeout; answer within 2x. A publish still going
        # on in its thread may yet land: the task is idempotent and releases only its own lock.
        await asyncio.wait_for(publish, timeout=2 * timeout)
    except Exception as exc:
        log.error("could not queue refresh", error=f"{type(exc).__name__}: {exc}")
        await store.release_refresh(rtype.name, user_id, task_id)
        message = "the task queue (broker) cannot be reached; try again shortly"
        await store.put_status(task_id, "failure", rtype.name, user_id, message)
        raise ServiceUnavailable(message) from exc
    log.info("refresh queued", task_id=task_id, type=rtype.name, queue=rtype.queue)
    return task_id


async def _finished_and_stale(
    store: Store, rtype: RecommendationType, user_id: str, holder: str, force: bool
) -> bool:
    status = await store.get_status(holder)
    if status is None or status.state not in ("success", "failure"):
        return False  # still running: everybody shares it
    return force or await store.get_set(rtype.name, user_id) is None
