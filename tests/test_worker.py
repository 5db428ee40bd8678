"""The refresh task as a worker receives it: a JSON message, decoded, then run."""

from __future__ import annotations

import json
import uuid

from portal_engine.redis_client import connect
from portal_engine.refreshes import start_refresh
from portal_engine.registry import load_plugins
from portal_engine.settings import Settings
from portal_engine.store import Store
from portal_engine.worker import REFRESH_TASK, create_celery
from tests.fakes import FakeTypes


async def test_task_payload_survives_a_json_round_trip() -> None:
    """The message on the queue is JSON, and the task run from its decoded body succeeds."""
    settings = Settings(
        namespace=f"worker-{uuid.uuid4().hex[:8]}",
        upstream_attempts=1,
        prefetch_url="http://127.0.0.1:9/prefetch",
    )
    plugins = load_plugins(only=(), strict=True, extra=[("fake", FakeTypes("alpha"))])
    celery = create_celery(settings, plugins)
    store = Store(connect(settings), settings)
    try:
        task_id = await start_refresh(store, celery, plugins.types["alpha"], "u:1*?", "req-1")
        with celery.connection_for_read() as conn:
            message = conn.SimpleQueue(celery.amqp.queues["portal.alpha"]).get(timeout=2)
        assert message.content_type == "application/json"
        args, kwargs, _ = json.loads(message.body)
        assert (args, kwargs) == (["alpha", "u:1*?"], {"request_id": "req-1"})
        assert message.headers["id"] == task_id and message.headers["task"] == REFRESH_TASK
        message.ack()
        result = celery.tasks[REFRESH_TASK].apply(args=args, kwargs=kwargs, task_id=task_id)
        # .result, not .get(): another test's worker thread may leave Celery believing a task
        # runs in this thread, and .get() then refuses to wait.
        assert result.successful() and result.result == "success"
        status = await store.get_status(task_id)
        assert status is not None and status.state == "success"
        stored = await store.get_set("alpha", "u:1*?")
        assert stored is not None and stored.source == "fallback"  # the LLM is unreachable
    finally:
        await store.close()
